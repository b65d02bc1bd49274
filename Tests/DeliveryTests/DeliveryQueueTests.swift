import Delivery
import Foundation
import Journal
import Logging
import TestSupport
import Testing
import VicinotifyCore

/// Delivery queues over a real journal: ordering, retries, dead letters, isolation, restart.
@Suite struct DeliveryQueueTests {
    static let fast = RetryPolicy(initial: 0.01, maxDelay: 0.05, maxAge: 3600, maxAttempts: 0)

    /// A journal holding `polls` polls over `agents` agents, each poll changing every agent.
    static func journal(agents: Int, polls: Int) async throws -> (Journal, TemporaryDirectory, [EncodedEvent]) {
        let dir = TemporaryDirectory()
        let journal = try Journal(directory: dir.path)
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 1)
        var all: [EncodedEvent] = []
        for p in 0..<polls {
            let time = Timestamp(millisecondsSince1970: 1_795_500_000_000 + Int64(p) * 1000)
            let floor = (0..<agents).map { AgentState(user: "a\($0)", status: "READY", callsToday: p) }
            let events = tracker.observe(floor, at: time)
            let changes = events.compactMap { e -> AgentChange? in if case .agent(let c, _) = e.payload { return c }; return nil }
            let encoded = events.map(EncodedEvent.init)
            try await journal.commit(source: "src", events: encoded, changes: changes, at: time, lastSequence: tracker.lastSequence)
            all += encoded
        }
        return (journal, dir, all)
    }

    static func start(_ queue: DeliveryQueue) -> Task<Void, Never> { Task { await queue.run() } }

    func perAgentOrderHolds(_ events: [EncodedEvent]) -> Bool {
        var last: [String: UInt64] = [:]
        for e in events {
            if let seen = last[e.subject], seen >= e.sequence { return false }
            last[e.subject] = e.sequence
        }
        return true
    }

    @Test func aSinkThatFailsForAWhileGetsEverythingInOrder() async throws {
        // Cursors start at the end of the journal, so register the sink before the events exist.
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        _ = try await journal.cursor(sink: "flaky")
        let sink = RecordingSink(name: "flaky") { e, attempt in
            // Every third event fails twice; then the sink recovers.
            e.sequence % 3 == 0 && attempt <= 2 ? .retry(reason: "HTTP 503", after: nil) : .delivered
        }
        let queue = DeliveryQueue(sink: sink, journal: journal, policy: Self.fast, logger: Logger(label: "t"), batchSize: 7)
        let run = Self.start(queue)
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 2)
        var all: [EncodedEvent] = []
        for p in 0..<6 {
            let time = Timestamp(millisecondsSince1970: 1_795_500_000_000 + Int64(p) * 1000)
            let events = tracker.observe((0..<10).map { AgentState(user: "a\($0)", status: "READY", callsToday: p) }, at: time)
            let encoded = events.map(EncodedEvent.init)
            try await journal.commit(source: "src", events: encoded, changes: [], at: time, lastSequence: tracker.lastSequence)
            queue.notify()
            all += encoded
        }
        #expect(await sink.wait { $0.count == 60 })
        run.cancel()
        await run.value
        let delivered = await sink.events
        #expect(Set(delivered.map(\.id)) == Set(all.map(\.id)))
        #expect(delivered.count == all.count, "nothing twice")
        #expect(perAgentOrderHolds(delivered), "an agent's next event waits for the one being retried")
        #expect(await sink.attempts.filter { $0.value == 3 }.count == 20)
        #expect(try await journal.retries(sink: "flaky").isEmpty)
        #expect(try await journal.cursor(sink: "flaky") == all.count.asInt64)
    }

    @Test func aPermanentlyFailingSinkDeadLettersWithoutDisturbingTheOther() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        _ = try await journal.cursor(sink: "broken")
        _ = try await journal.cursor(sink: "good")
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 2)
        let time = Timestamp.now()
        let events = tracker.observe((0..<5).map { AgentState(user: "a\($0)", status: "READY") }, at: time).map(EncodedEvent.init)
        try await journal.commit(source: "src", events: events, changes: [], at: time, lastSequence: tracker.lastSequence)

        let broken = RecordingSink(name: "broken") { e, _ in
            e.subject == "a0" ? .giveUp(reason: "HTTP 404: no such hook") : .retry(reason: "HTTP 500", after: nil)
        }
        let good = RecordingSink(name: "good")
        let policy = RetryPolicy(initial: 0.01, maxDelay: 0.02, maxAge: 3600, maxAttempts: 3)
        let q1 = DeliveryQueue(sink: broken, journal: journal, policy: policy, logger: Logger(label: "t"))
        let q2 = DeliveryQueue(sink: good, journal: journal, policy: policy, logger: Logger(label: "t"))
        let runs = [Self.start(q1), Self.start(q2)]
        #expect(await good.wait { $0.count == 5 })
        #expect(await broken.waitForAttempts { $0.values.reduce(0, +) == 1 + 4 * 3 })
        q1.drain()  // returns after recording the last round's outcomes
        await runs[0].value
        runs[1].cancel()
        await runs[1].value
        let letters = try await journal.deadLetters(sink: "broken")
        #expect(letters.count == 5)
        #expect(letters.first { $0.event.subject == "a0" }?.attempts == 1, "a 4xx is given up at once")
        #expect(letters.first { $0.event.subject == "a0" }?.lastError == "HTTP 404: no such hook")
        #expect(letters.filter { $0.event.subject != "a0" }.allSatisfy { $0.attempts == 3 && $0.lastError == "HTTP 500" })
        #expect(letters.map(\.event.json) .allSatisfy { !$0.isEmpty })
        #expect(try await journal.deadLetters(sink: "good").isEmpty)
        #expect(try await journal.cursor(sink: "broken") == 5, "dead letters do not hold the cursor back")
    }

    @Test func aBlockedSinkDoesNotHoldUpAnother() async throws {
        let (journal, dir, _) = try await Self.journal(agents: 0, polls: 0)
        defer { dir.remove() }
        _ = try await journal.cursor(sink: "stuck")
        _ = try await journal.cursor(sink: "live")
        let stuck = RecordingSink(name: "stuck", hang: true)
        let live = RecordingSink(name: "live")
        let queues = [DeliveryQueue(sink: stuck, journal: journal, logger: Logger(label: "t")),
                      DeliveryQueue(sink: live, journal: journal, logger: Logger(label: "t"))]
        let runs = queues.map(DeliveryQueueTests.start)
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 2)
        for p in 0..<20 {
            let time = Timestamp.now()
            let events = tracker.observe([AgentState(user: "a", status: "READY", callsToday: p)], at: time).map(EncodedEvent.init)
            try await journal.commit(source: "src", events: events, changes: [], at: time, lastSequence: tracker.lastSequence)
            for q in queues { q.notify() }
            #expect(await live.wait(timeout: 5) { $0.count == p + 1 }, "poll \(p) reached the live sink")
        }
        for r in runs { r.cancel(); await r.value }
        #expect(await stuck.events.isEmpty)
        #expect(try await journal.cursor(sink: "stuck") == 0)
    }

    @Test func aRestartedQueueResumesFromItsCursor() async throws {
        let (journal, dir, all) = try await Self.journal(agents: 4, polls: 0)
        defer { dir.remove() }
        _ = try await journal.cursor(sink: "s")
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 2)
        var events: [EncodedEvent] = all
        for p in 0..<5 {
            let time = Timestamp.now()
            let e = tracker.observe((0..<4).map { AgentState(user: "a\($0)", status: "READY", callsToday: p) }, at: time).map(EncodedEvent.init)
            try await journal.commit(source: "src", events: e, changes: [], at: time, lastSequence: tracker.lastSequence)
            events += e
        }
        let first = RecordingSink(name: "s") { e, _ in e.sequence <= 8 ? .delivered : .retry(reason: "down", after: 3600) }
        let q1 = DeliveryQueue(sink: first, journal: journal, logger: Logger(label: "t"))
        let r1 = Self.start(q1)
        #expect(await first.wait { $0.count == 8 })
        q1.drain()
        await r1.value
        // The first run's retries wait an hour (its Retry-After) and are kept in the journal.
        let retries = try await journal.retries(sink: "s")
        #expect(retries.count == 4, "one waiting event per agent, the rest queued behind it")
        #expect(retries.values.allSatisfy { $0.attempts == 1 && $0.lastError == "down" })
        #expect(try await journal.cursor(sink: "s") == 8)
        // Pretend the hour has passed: clear the waits, then restart.
        try await journal.record(sink: "s", cursor: 8, retrying: [:], finished: Array(retries.keys), dead: [])
        let second = RecordingSink(name: "s")
        let q3 = DeliveryQueue(sink: second, journal: journal, logger: Logger(label: "t"))
        let r3 = Self.start(q3)
        #expect(await second.wait { $0.count == 12 })
        r3.cancel()
        await r3.value
        #expect(Set(await second.events.map(\.sequence)) == Set(9...20), "resumes after the cursor, repeats nothing delivered")
    }
}

private extension Int {
    var asInt64: Int64 { Int64(self) }
}

@Suite struct CursorBeyondTheEndTests {
    /// A journal replaced by a shorter one: the sink says so and goes on from the end, not silently idle.
    @Test func aCursorBeyondTheJournalsEndIsSaidAndReset() async throws {
        let (journal, dir, _) = try await DeliveryQueueTests.journal(agents: 3, polls: 1)
        defer { dir.remove() }
        _ = try await journal.cursor(sink: "s")
        try await journal.resetCursor(sink: "s", to: 1000)
        let logs = CapturedLogs()
        let sink = RecordingSink(name: "s")
        let queue = DeliveryQueue(sink: sink, journal: journal, policy: DeliveryQueueTests.fast, logger: logs.logger())
        let run = DeliveryQueueTests.start(queue)
        defer { run.cancel() }
        #expect(await logs.wait { $0.contains { $0.contains("beyond the journal's end") } })
        var tracker = SourceTracker(name: "src2", eventSource: "vicidial://src2", redactedURL: "")
        let time = Timestamp.now()
        let events = tracker.observe([AgentState(user: "new", status: "READY")], at: time).map(EncodedEvent.init)
        try await journal.commit(source: "src2", events: events, changes: [], at: time, lastSequence: tracker.lastSequence)
        queue.notify()
        #expect(await sink.wait { $0.map(\.id) == events.map(\.id) }, "new events reach the sink")
    }
}

@Suite struct PrunedJournalTests {
    /// Pruning every event (the journal cap does) leaves the end where it was: no false alarm, and a
    /// sink registered afterwards starts there.
    @Test func theEndSurvivesPruningEverything() async throws {
        let (journal, dir, _) = try await DeliveryQueueTests.journal(agents: 3, polls: 2)
        defer { dir.remove() }
        let end = try await journal.lastPosition()
        try await journal.record(sink: "s", cursor: end, retrying: [:], finished: [], dead: [])
        _ = try await journal.cursor(sink: "s")
        try await journal.resetCursor(sink: "s", to: end)
        #expect(try await journal.prune(sinks: ["s"], keep: 0) == 6)
        #expect(try await journal.allEvents().isEmpty)
        #expect(try await journal.lastPosition() == end)
        #expect(try await journal.cursor(sink: "new") == end)
    }

    /// Heartbeats are journaled for one sink: a sink that has nothing else to deliver must read past them,
    /// or its cursor stands still, pruning keeps every row and each read scans the growing backlog.
    @Test func anIdleSinkPassesAnotherSinksHeartbeatsAndPruningBoundsTheJournal() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        _ = try await journal.cursor(sink: "hb")
        _ = try await journal.cursor(sink: "plain")
        let hb = RecordingSink(name: "hb"), plain = RecordingSink(name: "plain")
        let queues = [hb, plain].map { DeliveryQueue(sink: $0, journal: journal, policy: DeliveryQueueTests.fast, logger: Logger(label: "t")) }
        let runs = queues.map(DeliveryQueueTests.start)
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 3)
        let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)
        _ = tracker.observe((0..<10).map { AgentState(user: "a\($0)", status: "READY") }, at: t0)
        var rows = 0
        for poll in 1...200 {
            let time = t0.adding(milliseconds: Int64(poll) * 1000)
            let beats = tracker.floor.rows.map { (sink: "hb", event: EncodedEvent(tracker.heartbeat($0, at: time))) }
            try await journal.commit(source: "src", events: [], addressed: beats, changes: [], at: time, lastSequence: tracker.lastSequence)
            for q in queues { q.notify() }
            if poll % 50 == 0 {
                let end = try await journal.lastPosition()
                #expect(await hb.wait { $0.count == poll * 10 })
                var passed = false
                for _ in 0..<500 where !passed {
                    // hb's cursor is recorded after its delivery; plain's must pass hb's heartbeats without one.
                    let (plainAt, hbAt) = (try await journal.cursor(sink: "plain"), try await journal.cursor(sink: "hb"))
                    passed = plainAt == end && hbAt == end
                    if !passed { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(passed, "the idle sink's cursor reaches the end past the heartbeats")
                _ = try await journal.prune(sinks: ["hb", "plain"], keep: 100)
                rows = try await journal.allEvents().count
                #expect(rows <= 100, "pruning keeps keep_events rows, not every heartbeat")
            }
        }
        #expect(await plain.events.isEmpty)
        for q in queues { q.drain() }
        for r in runs { await r.value }
    }
}
