import Foundation
import Testing
import VicinotifyCore

@Suite struct SourceTrackerTests {
    let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)
    let a = AgentState(user: "agent001", status: "READY", campaignID: "SALES", fullName: "Ada", userGroup: "AGENTS")

    func tracker() -> SourceTracker {
        SourceTracker(name: "dialer1", eventSource: "vicidial://dialer1", redactedURL: "http://dialer1/x?pass=REDACTED", downAfter: 3)
    }

    func afterGap(_ e: Event) -> Bool? {
        if case .agent(_, let gap) = e.payload { return gap }
        return nil
    }

    @Test func firstPollIsAfterAGapThenNot() {
        var t = tracker()
        let first = t.observe([a], at: t0)
        #expect(first.map(\.type) == [.loggedIn])
        #expect(afterGap(first[0]) == true)
        var b = a
        b.status = "QUEUE"
        let second = t.observe([b], at: t0.adding(milliseconds: 1000))
        #expect(afterGap(second[0]) == false)
    }

    @Test func failuresNeverProduceAgentEventsAndMarkTheNextPoll() {
        var t = tracker()
        _ = t.observe([a], at: t0)
        let failed = t.fail(reason: "timeout", message: "timed out", at: t0.adding(milliseconds: 1000))
        #expect(failed.isEmpty)
        #expect(t.floor.count == 1, "the previous snapshot is kept")
        #expect(t.observe([a], at: t0.adding(milliseconds: 2000)).isEmpty, "same floor after a failure: nothing")
        var t2 = tracker()
        _ = t2.observe([a], at: t0)
        _ = t2.fail(reason: "timeout", message: "x", at: t0.adding(milliseconds: 1000))
        let recovered = t2.observe([], at: t0.adding(milliseconds: 2000))
        #expect(recovered.map(\.type) == [.loggedOut])
        #expect(afterGap(recovered[0]) == true)
    }

    @Test func downAfterConsecutiveFailuresThenUpOnRecovery() throws {
        var t = tracker()
        _ = t.observe([a], at: t0)
        #expect(t.fail(reason: "timeout", message: "m1", at: t0.adding(milliseconds: 1000)).isEmpty)
        #expect(t.fail(reason: "timeout", message: "m2", at: t0.adding(milliseconds: 2000)).isEmpty)
        let down = t.fail(reason: "http_status", message: "HTTP 500", at: t0.adding(milliseconds: 3000))
        try #require(down.count == 1)
        #expect(down[0].type == .sourceDown)
        #expect(down[0].subject == "dialer1")
        guard case .source(let h) = down[0].payload else { Issue.record("not a source event"); return }
        #expect(h.failedPolls == 3)
        #expect(h.reason == "http_status")
        #expect(h.since == t0.adding(milliseconds: 1000))
        #expect(t.fail(reason: "timeout", message: "m4", at: t0.adding(milliseconds: 4000)).isEmpty, "down is said once")
        let up = t.observe([a], at: t0.adding(milliseconds: 5000))
        #expect(up.map(\.type) == [.sourceUp])
        let json = try JSONSerialization.jsonObject(with: Data(EventEncoder.encode(up[0]))) as! [String: Any]
        let data = json["data"] as! [String: Any]
        #expect(data["failed_polls"] as? Int == 4)
        #expect(data["down_seconds"] as? Double == 4.0)
    }

    @Test func sequencesStrictlyIncreaseAndIdsAreUniqueAndOrdered() {
        var t = tracker()
        var events: [Event] = []
        for i in 0..<50 {
            var s = a
            s.callsToday = i
            events += t.observe([s, AgentState(user: "b\(i)", status: "READY")], at: t0.adding(milliseconds: Int64(i / 5)))
            events += t.fail(reason: "timeout", message: "", at: t0.adding(milliseconds: Int64(i / 5)))
        }
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.id < $1.id })
        #expect(Set(events.map(\.id)).count == events.count)
        #expect(events.allSatisfy { $0.sequenceText.count == 18 })
    }
}
