import Foundation
import Testing
import VicinotifyCore

/// Which queue changes go out: the first sight, urgent changes at once, the rest at most once per interval,
/// and always chained to the last state sent.
@Suite struct QueueWatchTests {
    static let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)

    static func q(_ waiting: Int, ready: Int? = 2, oldest: Int? = nil) -> QueueState {
        QueueState(queue: "SUPPORT", kind: .inGroup, name: "Support", callsWaiting: waiting, oldestWaitSeconds: oldest, agentsReady: ready)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        /// (seconds after t0, the poll's figures, whether an event goes out)
        var polls: [(Double, QueueState, Bool)]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "the first sight goes out, an unchanged queue does not", polls: [(0, q(0), true), (1, q(0), false), (9, q(0), false)]),
        Row(name: "calls starting or ending to wait go out at once", polls: [(0, q(0), true), (1, q(1), true), (2, q(0), true)]),
        Row(name: "a flickering count goes out at most once per interval", polls: [
            (0, q(1), true), (1, q(2), false), (2, q(3), false), (5, q(2), true), (6, q(3), false), (11, q(3), true)]),
        Row(name: "the ready agents running out is urgent", polls: [(0, q(2, ready: 3), true), (1, q(2, ready: 1), false), (2, q(2, ready: 0), true)]),
        Row(name: "the oldest wait ticking is no news; its appearing is", polls: [
            (0, q(1, oldest: nil), true), (6, q(1, oldest: 10), true), (12, q(1, oldest: 16), false), (20, q(1, oldest: 24), false)]),
    ]

    @Test(arguments: rows) func changes(_ row: Row) {
        var watch = QueueWatch(minInterval: 5)
        var lastSent: QueueState?
        for (at, state, expected) in row.polls {
            let out = watch.changes([state], at: Self.t0.adding(milliseconds: Int64(at * 1000)))
            #expect(out.count == (expected ? 1 : 0), "at \(at) s")
            if let c = out.first {
                #expect(c.previous == lastSent, "events chain: previous is the last current sent")
                #expect(c.current == state)
                lastSent = state
            }
        }
    }

    @Test func theEventCarriesBothSidesAndNullForWhatTheSourceCannotTell() throws {
        var tracker = SourceTracker(name: "dialer", eventSource: "vicidial://d", redactedURL: "u", downAfter: 1, floor: AgentFloor(), lastSequence: 0)
        let change = QueueChange(previous: Self.q(0), current: Self.q(3), changed: ["calls_waiting"])
        let e = EncodedEvent(tracker.queueChanged(change, at: Self.t0))
        #expect(e.subject == "queue:SUPPORT" && e.type == .queueChanged && e.sequence == 1)
        let data = try #require((try JSONSerialization.jsonObject(with: Data(e.json)) as? [String: Any])?["data"] as? [String: Any])
        #expect(data["queue"] as? String == "SUPPORT" && data["kind"] as? String == "in_group")
        let current = try #require(data["current"] as? [String: Any])
        #expect(current["calls_waiting"] as? Int == 3)
        #expect(current["oldest_wait_seconds"] is NSNull, "the API cannot tell: null, never invented")
        #expect((data["previous"] as? [String: Any])?["calls_waiting"] as? Int == 0)
        #expect(data["changed"] as? [String] == ["calls_waiting"])
    }
}
