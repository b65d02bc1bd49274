import Foundation
@testable import Journal
import TestSupport
import Testing
import VicinotifyCore

private let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)

/// Makes events the way the daemon does: a tracker observing floors.
private struct Feed {
    var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 3)
    var step: Int64 = 0

    mutating func poll(_ floor: [AgentState]) -> (events: [EncodedEvent], changes: [AgentChange], time: Timestamp) {
        step += 1
        let time = t0.adding(milliseconds: step * 1000)
        let events = tracker.observe(floor, at: time)
        let changes = events.compactMap { e -> AgentChange? in if case .agent(let c, _) = e.payload { return c }; return nil }
        return (events.map(EncodedEvent.init), changes, time)
    }

    mutating func commit(_ floor: [AgentState], to journal: Journal) async throws -> [EncodedEvent] {
        let p = poll(floor)
        try await journal.commit(source: "src", events: p.events, changes: p.changes, at: p.time, lastSequence: tracker.lastSequence)
        return p.events
    }
}

private func agents(_ n: Int, status: String = "READY", range: Range<Int>? = nil) -> [AgentState] {
    (range ?? 0..<n).map { AgentState(user: "a\($0)", status: status, pauseCode: "LOGIN", campaignID: "C", fullName: "N \($0)") }
}

@Suite struct JournalTests {
    @Test func aJournalWithOneRowPerAgentIsMigratedToSnapshotBlocks() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // The layout before snapshot blocks, written by Python's sqlite3 as an older vicinotify would have.
        let state = AgentState(user: "agent007", status: "INCALL", leadID: 42, campaignID: "SALES", callsToday: 3, fullName: "J B")
        var record: [UInt8] = []
        AgentRecord.encode(state, into: &record)
        let hex = record.map { String(format: "%02x", $0) }.joined()
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("CREATE TABLE agents(source TEXT NOT NULL, user TEXT NOT NULL, state BLOB NOT NULL, since_ms INTEGER NOT NULL, PRIMARY KEY(source, user)) WITHOUT ROWID")
            db.execute("INSERT INTO agents VALUES ('src', 'agent007', ?, 1795500000000)", (bytes.fromhex(sys.argv[2]),))
            db.commit()
            """
        let python = try Child("python3", ["-c", script, dir.file("journal.sqlite"), hex], stdout: .inherit, stderr: .inherit)
        await python.exited()
        #expect(python.terminationStatus == 0)

        let journal = try Journal(directory: dir.path)
        let (floor, _) = try await journal.restore(source: "src")
        #expect(floor.states == ["agent007": state])
        // And the migrated block takes changes like any other.
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", floor: floor, idSeed: 1)
        let time = t0.adding(milliseconds: 5000)
        let events = tracker.observe([], at: time)
        let changes = events.compactMap { e -> AgentChange? in if case .agent(let c, _) = e.payload { return c }; return nil }
        try await journal.commit(source: "src", events: events.map(EncodedEvent.init), changes: changes, at: time, lastSequence: 1)
        #expect(try await journal.restore(source: "src").floor.states.isEmpty)
    }

    @Test func aSinksHeartbeatsFollowThePollsSharedEventsInPositionAsInSequence() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        _ = try await journal.cursor(sink: "hb")
        let observed = ObservedBox()
        await journal.observeCommits { observed.add($0) }
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 5)
        let agents = [AgentState(user: "a", status: "READY"), AgentState(user: "b", status: "READY")]
        _ = tracker.observe(agents, at: t0)
        let shared = tracker.observe([agents[0], AgentState(user: "b", status: "PAUSED")], at: t0.adding(milliseconds: 1000))
        let heartbeat = EncodedEvent(tracker.heartbeat(tracker.floor["a"]!, at: t0.adding(milliseconds: 1000)))
        let changes = shared.compactMap { e -> AgentChange? in if case .agent(let c, _) = e.payload { return c }; return nil }
        let last = try await journal.commit(source: "src", events: shared.map(EncodedEvent.init), addressed: [("hb", heartbeat)],
                                            changes: changes, at: t0.adding(milliseconds: 1000), lastSequence: tracker.lastSequence)
        let forSink = try await journal.events(for: "hb", after: 0, limit: 10)
        #expect(forSink.map(\.event.sequence) == forSink.map(\.event.sequence).sorted(), "positions follow sequences")
        #expect(forSink.last?.event.type == .heartbeat && forSink.last?.position == last)
        #expect(observed.commits.map { $0.shared.map(\.event.type) } == [[.statusChanged]], "readers are told of shared events")
        #expect(observed.commits.first?.shared.first?.position == last - 1, "at the position the shared event holds")
        #expect(observed.commits.first?.rows.map { $0.sink } == [nil, "hb"] && observed.commits.first?.last == last,
                "the feed is told of the heartbeat too, for its sink, after the shared events")
        #expect(try await journal.sharedEvents(after: 0, limit: 10).map(\.position) == [last - 1])
    }

    @Test func aPollAndItsSnapshotSurviveReopening() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var feed = Feed()
        do {
            let journal = try Journal(directory: dir.path)
            _ = try await feed.commit(agents(3), to: journal)
            _ = try await feed.commit(agents(3, status: "PAUSED", range: 1..<3), to: journal)
        }
        let reopened = try Journal(directory: dir.path)
        let (floor, last) = try await reopened.restore(source: "src")
        #expect(last == feed.tracker.lastSequence)
        #expect(floor.states == feed.tracker.floor.states)
        #expect(floor["a1"]?.since == t0.adding(milliseconds: 2000))
        #expect(floor["a1"]?.state.pauseCode == "LOGIN", "a PAUSED agent keeps its code")
        #expect(try await reopened.allEvents().map(\.event.sequence) == Array(1...6))
        // A restarted tracker continues the sequence and diffs against the persisted floor.
        var resumed = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", floor: floor, lastSequence: last)
        let again = resumed.observe(agents(3, status: "PAUSED", range: 1..<3), at: t0.adding(milliseconds: 9000))
        #expect(again.isEmpty, "no change repeated after a restart")
        let next = resumed.observe([], at: t0.adding(milliseconds: 10_000))
        #expect(next.map(\.sequence) == [7, 8])
    }

    @Test func aSnapshotBlockKeepsUntouchedRecordsAndTheLastChangeOfEachAgent() throws {
        let a = agents(4)
        func records(_ block: [UInt8]?) -> [String: String] {
            Dictionary(uniqueKeysWithValues: (block.flatMap(SnapshotBlock.records) ?? []).map {
                ($0.user, AgentRecord.decode($0.state, user: $0.user)?.status ?? "damaged")
            })
        }
        let start = try #require(SnapshotBlock.applying(a.map { ($0.user, $0, 1) }, to: []))
        #expect(records(start) == ["a0": "READY", "a1": "READY", "a2": "READY", "a3": "READY"])
        var paused = a[1]
        paused.status = "PAUSED"
        var incall = a[1]
        incall.status = "INCALL"
        let next = SnapshotBlock.applying([("a1", paused, 2), ("a2", nil, 2), ("a9", nil, 2), ("a1", incall, 2), ("a4", a[0], 2)],
                                          to: start)
        #expect(records(next) == ["a0": "READY", "a1": "INCALL", "a3": "READY", "a4": "READY"],
                "a later change of a1 wins, a2 logs out, a9 was never there, a4 is new")
        #expect(SnapshotBlock.applying([], to: Array(start.dropLast())) == nil, "a truncated block is damaged")
    }

    @Test func aTruncatedJournalIsRefusedNotSilentlyRestarted() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.file("journal.sqlite"), contents: Data())
        #expect(throws: JournalError.self) { try Journal(directory: dir.path) }
    }

    @Test func garbageInTheFileIsFoundAtOpen() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        do {
            let journal = try Journal(directory: dir.path)
            _ = try await journal.cursor(sink: "s")
            var feed = Feed()
            for _ in 0..<5 { _ = try await feed.commit(agents(200, status: ["READY", "PAUSED"][Int.random(in: 0...1)]), to: journal) }
            try await journal.checkpoint()
        }
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: dir.file("journal.sqlite")))
        let size = try file.seekToEnd()
        #expect(size > 16384 * 8)
        try file.seek(toOffset: 16384 * 4)  // a whole page of the events table, old events nobody reads now
        file.write(Data(repeating: 0xA5, count: 16384))
        try file.close()
        #expect(throws: JournalError.self) { try Journal(directory: dir.path) }
    }

    @Test func textWithANULIsReadWhole() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        _ = try await journal.cursor(sink: "s")
        var feed = Feed()
        _ = try await feed.commit([AgentState(user: "a\u{0}b", status: "READY")], to: journal)
        #expect(try await journal.events(for: "s", after: 0, limit: 10).first?.event.subject == "a\u{0}b")
        #expect(try await journal.restore(source: "src").floor["a\u{0}b"] != nil)
    }

    @Test func aStateStartSurvivesARestartAndAnUnknownOneStaysUnknown() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var feed = Feed()
        do {
            let journal = try Journal(directory: dir.path)
            _ = try await feed.commit([AgentState(user: "a", status: "READY"), AgentState(user: "b", status: "READY")], to: journal)
            _ = try await feed.commit([AgentState(user: "a", status: "PAUSED"), AgentState(user: "b", status: "READY", leadID: 5)],
                                      to: journal)
        }
        let floor = try await Journal(directory: dir.path).restore(source: "src").floor
        #expect(floor["a"]?.stateSince == t0.adding(milliseconds: 2000), "PAUSED began at the second poll")
        #expect(floor["b"]?.stateSince == nil, "READY was already there at the first poll")
        #expect(floor["b"]?.since == t0.adding(milliseconds: 1000), "first observed then, a call change did not restart it")
    }

    @Test func cursorsRetriesDeadLettersAndPruning() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        #expect(try await journal.cursor(sink: "s") == 0)
        var feed = Feed()
        let events = try await feed.commit(agents(10), to: journal)
        let pending = try await journal.events(for: "s", after: 0, limit: 100)
        #expect(pending.map(\.event) == events)
        let retry = RetryState(attempts: 2, firstAttempt: t0, nextAttempt: t0.adding(milliseconds: 5000), lastError: "HTTP 503")
        let dead = DeadLetter(sink: "s", position: pending[1].position, event: pending[1].event, attempts: 3, lastError: "HTTP 404", deadAt: t0)
        try await journal.record(sink: "s", cursor: pending[0].position, retrying: [pending[2].position: retry],
                                 finished: [pending[0].position, pending[1].position], dead: [dead])
        #expect(try await journal.cursor(sink: "s") == pending[0].position)
        #expect(try await journal.retries(sink: "s") == [pending[2].position: retry])
        #expect(try await journal.deadLetters(sink: "s") == [dead])
        #expect(try await journal.cursor(sink: "late") == pending.last!.position, "a new sink starts at the end")

        #expect(try await journal.prune(sinks: ["s", "late"], keep: 0) == 1, "never past the slowest cursor")
        #expect(try await journal.retryDeadLetters(sink: "s") == 1)
        #expect(try await journal.deadLetters(sink: nil).isEmpty)
        let copies = try await journal.events(for: "s", after: pending.last!.position, limit: 10)
        #expect(copies.map(\.event) == [events[1]], "a retried dead letter comes back with its id and bytes")
        #expect(try await journal.events(for: "late", after: pending.last!.position, limit: 10).isEmpty, "only for its sink")

        #expect(try await journal.replay(sink: "late", from: .sequence(9)) == 2)
        #expect(try await journal.events(for: "late", after: pending.last!.position, limit: 10).map(\.event.sequence) == [9, 10])
        #expect(try await journal.replay(sink: "late", from: .time(t0.adding(milliseconds: 5000))) == 0)
        #expect(try await journal.purgeDeadLetters(sink: nil) == 0)
    }
}

/// What `observeCommits` reported, for a test to read.
private final class ObservedBox: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [JournalCommit] = []
    func add(_ commit: JournalCommit) { lock.withLock { all.append(commit) } }
    var commits: [JournalCommit] { lock.withLock { all } }
}
