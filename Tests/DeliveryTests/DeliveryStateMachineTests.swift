import Delivery
import Journal
import Testing
import VicinotifyCore

/// The queue's decisions, driven synchronously: no sleeps, no wall clock.
@Suite struct DeliveryStateMachineTests {
    static let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)
    static func at(_ seconds: Double) -> Timestamp { t0.adding(milliseconds: Int64(seconds * 1000)) }

    /// Journaled events, one per `subject`, positions from 1.
    static func events(_ subjects: [String]) -> [JournaledEvent] {
        subjects.enumerated().map { i, subject in
            JournaledEvent(position: Int64(i + 1), event: EncodedEvent(
                id: "e\(i + 1)", sequence: UInt64(i + 1), type: .statusChanged, subject: subject, sourceName: "src",
                campaignID: "", userGroup: "", time: t0, json: []))
        }
    }

    static func machine(_ policy: RetryPolicy = RetryPolicy(initial: 1, maxDelay: 60, maxAge: 3600),
                        batching: SinkBatching = SinkBatching(), batchSize: Int = 500) -> DeliveryStateMachine {
        DeliveryStateMachine(sink: "s", cursor: 0, retries: [:], policy: policy, batching: batching, batchSize: batchSize)
    }

    func delivered(_ action: DeliveryStateMachine.Action) -> [String] {
        if case .deliver(let events) = action { return events.map(\.id) }
        return []
    }

    @Test func perAgentOrderHoldsUnderRetries() {
        var m = Self.machine()
        m.received(Self.events(["a", "b", "a", "c"]))
        #expect(delivered(m.next(now: Self.t0, draining: false)) == ["e1", "e2"], "the batch ends before a's second event")
        let c = m.completed([.retry(reason: "HTTP 503", after: nil), .delivered], now: Self.t0) { 1 }
        #expect(c.retrying.keys.sorted() == [1] && c.finished == [2])
        #expect(c.cursor == 0, "e1 is not finished")
        #expect(delivered(m.next(now: Self.at(0.5), draining: false)) == ["e4"], "c is not held behind a's retry")
        _ = m.completed([.delivered], now: Self.at(0.5)) { 0 }
        #expect(m.next(now: Self.at(0.5), draining: false) == .wait(seconds: 0.5), "a's next events wait behind e1's retry")
        #expect(delivered(m.next(now: Self.at(1), draining: false)) == ["e1"])
        _ = m.completed([.delivered], now: Self.at(1)) { 0 }
        #expect(delivered(m.next(now: Self.at(1), draining: false)) == ["e3"])
        let last = m.completed([.delivered], now: Self.at(1)) { 0 }
        #expect(last.cursor == 4)
    }

    /// A session change journals two events of one agent in one poll: the events of other agents after
    /// them must not overtake the second one (stdout printed sequence 95 before 94).
    @Test(arguments: [
        (["x", "x", "y"], [["e1"], ["e2", "e3"]]),
        (["y", "x", "x", "z"], [["e1", "e2"], ["e3", "e4"]]),
        (["a", "b", "c"], [["e1", "e2", "e3"]]),
        (["a", "a", "a"], [["e1"], ["e2"], ["e3"]]),
    ])
    func aSinkThatNeverFailsSeesSequenceOrder(_ subjects: [String], _ batches: [[String]]) {
        var m = Self.machine(batching: SinkBatching(waitFor: 100, maxWait: 5))
        m.received(Self.events(subjects))
        var got: [[String]] = []
        var times: [Timestamp] = []
        var now = Self.t0
        while got.joined().count < subjects.count, now < Self.at(60) {
            switch m.next(now: now, draining: false) {
            case .deliver(let events):
                got.append(events.map(\.id))
                times.append(now)
                _ = m.completed(events.map { _ in .delivered }, now: now) { 0 }
            case .wait(let seconds): now = now.adding(milliseconds: Int64(seconds * 1000))
            case .finish: Issue.record("finished while not draining")
            }
        }
        #expect(got == batches)
        #expect(times.dropLast().allSatisfy { $0 == Self.t0 }, "a batch cut short by an agent's second event goes at once")
        #expect(times.last == Self.at(5), "the last batch gathers for max_wait as before")
    }

    @Test func randomFloorsAreDeliveredInSequenceOrder() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let subjects = (0..<Int(rng.next() % 40 + 1)).map { _ in "a\(rng.next() % 5)" }
            var m = Self.machine(batchSize: Int(rng.next() % 8 + 1))
            m.received(Self.events(subjects))
            var order: [String] = []
            while case .deliver(let events) = m.next(now: Self.t0, draining: true) {
                order += events.map(\.id)
                _ = m.completed(events.map { _ in .delivered }, now: Self.t0) { 0 }
            }
            #expect(order == subjects.indices.map { "e\($0 + 1)" })
        }
    }

    /// `Retry-After: 0` (or a past date) used to let a failing endpoint get ~9 requests a second.
    @Test(arguments: [0.0, 0.2, 3.0])
    func retryAfterPausesTheWholeSinkAtLeastASecondThenProbesWithOneEvent(_ retryAfter: Double) {
        var m = Self.machine(RetryPolicy(initial: 0.001, maxDelay: 60, maxAge: 3600))
        m.received(Self.events(["a", "b", "c"]))
        #expect(delivered(m.next(now: Self.t0, draining: false)) == ["e1", "e2", "e3"])
        _ = m.completed(Array(repeating: .retry(reason: "HTTP 503", after: retryAfter), count: 3), now: Self.t0) { 0 }
        let pause = max(1, retryAfter)
        #expect(m.next(now: Self.at(pause - 0.5), draining: false) == .wait(seconds: 0.5), "nothing goes during the pause")
        #expect(delivered(m.next(now: Self.at(pause), draining: false)) == ["e1"], "then one event probes")
        _ = m.completed([.retry(reason: "HTTP 503", after: retryAfter)], now: Self.at(pause)) { 0 }
        #expect(delivered(m.next(now: Self.at(pause + 0.999), draining: false)).isEmpty)
        #expect(delivered(m.next(now: Self.at(2 * pause), draining: false)) == ["e1"])
        _ = m.completed([.delivered], now: Self.at(2 * pause)) { 0 }
        #expect(delivered(m.next(now: Self.at(2 * pause), draining: false)) == ["e2", "e3"], "a delivery ends the pause")
    }

    /// The queue filters for every sink: what the filter passes over is finished as it is read, counted
    /// apart, and never handed to the sink (a chat sink used to count 676 "delivered" after one request).
    @Test func whatTheFilterPassesOverIsFinishedAndCountedApart() {
        var m = DeliveryStateMachine(sink: "s", cursor: 0, retries: [:], policy: RetryPolicy(), batching: SinkBatching(),
                                     filter: EventFilter(agents: ["a", "c"]))
        m.received(Self.events(["a", "b", "c", "b"]))
        #expect(delivered(m.next(now: Self.t0, draining: false)) == ["e1", "e3"])
        let c = m.completed([.delivered, .delivered], now: Self.t0) { 0 }
        #expect(c.delivered == 2 && c.filtered == 2 && c.cursor == 4)
        m.received(Self.events(["b", "b", "b", "b", "b"]).map { JournaledEvent(position: $0.position + 4, event: $0.event) })
        #expect(m.next(now: Self.t0, draining: false) == .wait(seconds: 1) && m.cursor == 9, "nothing for the sink: the cursor moves on")
        #expect(m.takeFiltered() == 5 && m.takeFiltered() == 0)
    }

    @Test func batchingWaitsUpToMaxWaitThenSendsWhatIsReady() {
        var m = Self.machine(batching: SinkBatching(waitFor: 10, maxWait: 2))
        m.received(Self.events(["a", "b", "c"]))
        #expect(m.next(now: Self.t0, draining: false) == .wait(seconds: 2))
        #expect(m.next(now: Self.at(1.5), draining: false) == .wait(seconds: 0.5))
        #expect(delivered(m.next(now: Self.at(2), draining: false)) == ["e1", "e2", "e3"])
        _ = m.completed([.delivered, .delivered, .delivered], now: Self.at(2)) { 0 }
        m.received(Array(Self.events(Array(repeating: "x", count: 3) + (0..<10).map { "n\($0)" }).dropFirst(3)))
        #expect(delivered(m.next(now: Self.at(2), draining: false)).count == 10, "a full batch goes at once")
    }

    @Test func drainingSendsWithoutWaitingAndFinishesWhenEmpty() {
        var m = Self.machine(batching: SinkBatching(waitFor: 10, maxWait: 2))
        m.received(Self.events(["a"]))
        #expect(delivered(m.next(now: Self.t0, draining: true)) == ["e1"])
        _ = m.completed([.delivered], now: Self.t0) { 0 }
        #expect(m.next(now: Self.t0, draining: true) == .finish)
        #expect(m.next(now: Self.t0, draining: false) == .wait(seconds: 1))
    }

    /// (jitter, Retry-After, expected wait in seconds) for the first failure of a policy starting at 1 s.
    @Test(arguments: [(1.0, nil as Double?, 1.0), (0.5, nil, 0.5), (1, 0, 1), (0, 30, 30), (1, 600, 60)] as [(Double, Double?, Double)])
    func retryAfterLengthensNeverShortens(_ jitter: Double, _ retryAfter: Double?, _ wait: Double) {
        var m = Self.machine()
        m.received(Self.events(["a"]))
        _ = m.next(now: Self.t0, draining: false)
        let c = m.completed([.retry(reason: "HTTP 429", after: retryAfter)], now: Self.t0) { jitter }
        #expect(c.retrying[1]?.nextAttempt == Self.at(wait))
    }

    @Test func givenUpByAttempts() {
        var m = Self.machine(RetryPolicy(initial: 1, maxDelay: 1, maxAge: 3600, maxAttempts: 3))
        m.received(Self.events(["a"]))
        var now = Self.t0
        for attempt in 1...3 {
            #expect(!delivered(m.next(now: now, draining: false)).isEmpty, "attempt \(attempt)")
            let c = m.completed([.retry(reason: "HTTP 500", after: nil)], now: now) { 1 }
            #expect(c.dead.count == (attempt == 3 ? 1 : 0))
            now = now.adding(milliseconds: 1000)
        }
        #expect(m.window.isEmpty)
        #expect(m.cursor == 1)
    }

    @Test func givenUpByAge() {
        var m = Self.machine(RetryPolicy(initial: 5, maxDelay: 5, maxAge: 10))
        m.received(Self.events(["a"]))
        _ = m.next(now: Self.t0, draining: false)
        #expect(m.completed([.retry(reason: "timeout", after: nil)], now: Self.t0) { 1 }.dead.isEmpty)
        _ = m.next(now: Self.at(5), draining: false)
        #expect(m.completed([.retry(reason: "timeout", after: nil)], now: Self.at(5)) { 1 }.dead.isEmpty)
        _ = m.next(now: Self.at(10), draining: false)
        let c = m.completed([.retry(reason: "timeout", after: nil)], now: Self.at(10)) { 1 }
        #expect(c.dead.map(\.attempts) == [3])
        #expect(c.dead.first?.lastError == "timeout")
        #expect(c.dead.first?.sink == "s")
    }

    @Test func aFourHundredIsDeadAtOnceAndA410DisablesTheSink() {
        var m = Self.machine()
        m.received(Self.events(["a", "b"]))
        _ = m.next(now: Self.t0, draining: false)
        let c = m.completed([.giveUp(reason: "HTTP 422"), .disableSink(reason: "HTTP 410 Gone")], now: Self.t0) { 0 }
        #expect(c.dead.map(\.position) == [1])
        #expect(c.disabledBecause == "HTTP 410 Gone")
        #expect(c.finished == [1], "the 410's event stays undelivered")
        #expect(c.cursor == 1)
    }

    @Test func retriesLoadedFromTheJournalAreHonoured() {
        let r = RetryState(attempts: 2, firstAttempt: Self.t0, nextAttempt: Self.at(30), lastError: "HTTP 503")
        var m = DeliveryStateMachine(sink: "s", cursor: 0, retries: [1: r], policy: RetryPolicy(), batching: SinkBatching())
        m.received(Self.events(["a", "b"]))
        #expect(delivered(m.next(now: Self.t0, draining: false)) == ["e2"])
        _ = m.completed([.delivered], now: Self.t0) { 0 }
        #expect(m.next(now: Self.at(10), draining: false) == .wait(seconds: 1))
        #expect(delivered(m.next(now: Self.at(30), draining: false)) == ["e1"])
    }

    @Test func theWindowIsBounded() {
        var m = DeliveryStateMachine(sink: "s", cursor: 0, retries: [:], policy: RetryPolicy(), batching: SinkBatching(),
                                     batchSize: 2, windowSize: 3)
        #expect(m.room == 3)
        m.received(Self.events(["a", "b", "c"]))
        #expect(m.room == 0)
        #expect(delivered(m.next(now: Self.t0, draining: false)) == ["e1", "e2"])
        #expect(m.roomAfterDelivery == 2, "read ahead while the batch is out")
    }
}
