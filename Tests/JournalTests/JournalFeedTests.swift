import Foundation
@testable import Journal
import TestSupport
import Testing
import VicinotifyCore

/// The one feed: backlog from disk, then commits from memory, in order and complete, whatever happens
/// between (a subscriber far behind, another process writing, rows for other sinks).
@Suite struct JournalFeedTests {
    static let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)

    /// Commits `polls` polls of `agents` agents, each changing every agent, with a heartbeat for `hb` per poll.
    static func commit(_ journal: Journal, _ tracker: inout SourceTracker, polls: Range<Int>, agents: Int = 3) async throws -> [Int64] {
        var shared: [Int64] = []
        for p in polls {
            let time = t0.adding(milliseconds: Int64(p) * 1000)
            let events = tracker.observe((0..<agents).map { AgentState(user: "a\($0)", status: "READY", callsToday: p) }, at: time)
            let beat = EncodedEvent(tracker.heartbeat(tracker.floor.rows[0], at: time))
            let last = try await journal.commit(source: "src", events: events.map(EncodedEvent.init), addressed: [("hb", beat)],
                                                changes: [], at: time, lastSequence: tracker.lastSequence)
            shared += (0..<Int64(events.count)).map { last - 1 - Int64(events.count) + 1 + $0 }
        }
        return shared
    }

    /// Takes until nothing is left, `limit` at a time; the positions taken.
    static func drain(_ s: JournalFeed.Subscription, limit: Int = 1000) async throws -> (positions: [Int64], through: Int64) {
        var out: [Int64] = []
        var through: Int64 = 0
        while true {
            let read = try await s.take(limit: limit)
            out += read.events.map(\.position)
            through = read.through
            if read.events.isEmpty { return (out, through) }
        }
    }

    @Test func backlogThenLiveInOrderSkippingOtherSinksRows() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 1)
        let backlog = try await Self.commit(journal, &tracker, polls: 0..<5)
        let feed = try await journal.feed(bufferEvents: 100)
        let woken = Awaitable(0)
        let plain = feed.subscribe(sink: "plain", after: 0) { woken.update { $0 += 1 } }
        let first = try await Self.drain(plain, limit: 4)
        #expect(first.positions == backlog, "the backlog, without the heartbeats for hb")
        #expect(first.through == (try await journal.lastPosition()), "read past hb's last heartbeat")
        let live = try await Self.commit(journal, &tracker, polls: 5..<8)
        #expect(await woken.wait { $0 >= 3 }, "each commit wakes the subscriber")
        let second = try await Self.drain(plain)
        #expect(second.positions == live)
        let hb = feed.subscribe(sink: "hb", after: 0) {}
        let all = try await Self.drain(hb).positions
        #expect(all.count == 8 * 4 && all == all.sorted(), "hb gets the shared events and its heartbeats, in position order")
        plain.cancel()
        hb.cancel()
    }

    @Test func aSubscriberFarBehindReadsTheJournalAgainWithNoGap() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 2)
        let feed = try await journal.feed(bufferEvents: 10)
        let s = feed.subscribe(sink: "x", after: 0) {}
        #expect(try await Self.drain(s).positions.isEmpty)
        let positions = try await Self.commit(journal, &tracker, polls: 0..<20)  // 60 events: the buffer of 10 overflows
        #expect(try await Self.drain(s, limit: 7).positions == positions)
        let more = try await Self.commit(journal, &tracker, polls: 20..<21)
        #expect(try await Self.drain(s).positions == more, "live again once caught up")
        s.cancel()
    }

    @Test func rowsAnotherProcessWroteAreTaken() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        _ = try await journal.cursor(sink: "late")
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 3)
        let feed = try await journal.feed()
        let s = feed.subscribe(sink: "late", after: 0) {}
        let shared = try await Self.commit(journal, &tracker, polls: 0..<2)
        #expect(try await Self.drain(s).positions == shared)
        // `vicinotify replay` in another process: a second connection to the same file.
        let other = try Journal(directory: dir.path)
        #expect(try await other.replay(sink: "late", from: .sequence(1)) == shared.count)
        let next = try await Self.commit(journal, &tracker, polls: 2..<3)
        let taken = try await Self.drain(s).positions
        #expect(taken.count == shared.count + next.count && taken == taken.sorted(), "the replayed copies, then the new poll")
        s.cancel()
    }
}
