import HandOverTrace
import Journal
import Logging
import Synchronization
import VicinotifyCore

/// Feeds one sink from the journal: its own cursor, its own retries, its own dead letters.
///
/// Events come from the journal's feed (`JournalFeed`): a backlog from disk, then each commit from memory,
/// into a bounded window (the backlog itself stays on disk). Per
/// agent, an event is handed to the sink only once every earlier event of that agent is delivered or
/// given up; events of different agents go out together in one batch. Failed events wait with
/// exponential backoff and full jitter, then go to the dead letters when the policy is exhausted.
/// A slow or failing sink holds up nothing but itself.
public final class DeliveryQueue: Sendable {
    public let sink: any EventSink
    private let journal: Journal
    private let policy: RetryPolicy
    private let logger: Logger
    private let batchSize: Int
    private let windowSize: Int
    private let wakeup = Wakeup()
    private let draining = Atomic<Bool>(false)
    private let metrics: Metrics?
    /// What is said about failures: new reasons, a summary a minute, the end.
    private let failures = Mutex(FailureLog())

    /// - Parameter metrics: counts `vicinotify_deliveries_total{sink,outcome}` (delivered, retry,
    ///   dead_letter, disabled) when given; the owner of `metrics` declares the family.
    public init(sink: any EventSink, journal: Journal, policy: RetryPolicy = RetryPolicy(), logger: Logger,
                batchSize: Int = 500, windowSize: Int = 2000, metrics: Metrics? = nil) {
        self.metrics = metrics
        self.sink = sink
        self.journal = journal
        self.policy = policy
        self.logger = logger
        self.batchSize = batchSize  // DeliveryStateMachine bounds both
        self.windowSize = windowSize
    }

    /// Look at the journal now rather than within a second (the feed wakes the queue on every commit
    /// itself; this is for rows another process wrote).
    public func notify() { wakeup.signal() }

    /// Deliver what can be delivered now, then let `run()` return instead of waiting for more.
    public func drain() {
        draining.store(true, ordering: .relaxed)
        wakeup.signal()
    }

    /// Runs until cancelled, or after `drain()` once nothing is deliverable right now; then closes the sink.
    public func run() async {
        await deliverAll()
        await sink.close()
    }

    private func deliverAll() async {
        let name = sink.name
        var machine: DeliveryStateMachine
        do {
            var cursor = try await journal.cursor(sink: name)
            let end = try await journal.lastPosition()
            if cursor > end {
                logger.error("this sink's cursor is beyond the journal's end (was the journal replaced?): it starts again from the end; events the journal lost cannot be delivered",
                             metadata: ["sink": "\(name)", "cursor": "\(cursor)", "end": "\(end)"])
                try await journal.resetCursor(sink: name, to: end)
                cursor = end
            }
            machine = DeliveryStateMachine(sink: name, cursor: cursor, retries: try await journal.retries(sink: name),
                                           policy: policy, batching: sink.batching, filter: sink.filter, batchSize: batchSize,
                                           windowSize: windowSize)
        } catch {
            logger.critical("cannot read the journal: this sink will not deliver", metadata: ["sink": "\(name)", "error": "\(error)"])
            return
        }
        let subscription: JournalFeed.Subscription
        do {
            let wakeup = self.wakeup
            subscription = try await journal.feed().subscribe(sink: name, after: machine.readPosition) { wakeup.signal() }
        } catch {
            logger.critical("cannot read the journal: this sink will not deliver", metadata: ["sink": "\(name)", "error": "\(error)"])
            return
        }
        defer { subscription.cancel() }
        var rng = SplitMix64(seed: UInt64.random(in: .min ... .max))
        // Reading the next events and recording outcomes overlap with the sink's next delivery: the
        // journal works on its own thread while the sink works. Records are written in order.
        var prefetch: Task<(events: [JournaledEvent], through: Int64), any Error>?
        var recording: Task<Void, Never>?
        var recorded = machine.cursor
        defer { prefetch?.cancel() }
        while !Task.isCancelled {
            do {
                if let p = prefetch {
                    prefetch = nil
                    let read = try await p.value
                    machine.received(read.events, through: read.through)
                } else if machine.room > 0 {
                    let read = try await subscription.take(limit: machine.room)
                    machine.received(read.events, through: read.through)
                }
            } catch {
                logger.error("cannot read the journal; retrying", metadata: ["sink": "\(name)", "error": "\(error)"])
                await wakeup.wait(seconds: 1)
                continue
            }
            let batch: [EncodedEvent]
            let next = machine.next(now: .now(), draining: draining.load(ordering: .relaxed))
            if case .deliver = next { HandOverTrace.mark("queue.deliver") }
            switch next {
            case .finish:
                await recording?.value
                return
            case .wait(let seconds):
                let filtered = machine.takeFiltered()
                if filtered > 0 { metrics?.add("vicinotify_deliveries_total", [("sink", name), ("outcome", "filtered")], Double(filtered)) }
                if machine.cursor > recorded {
                    // Only other sinks' events passed: the cursor moves on without a delivery.
                    recorded = machine.cursor
                    recording = record(after: recording, sink: name, cursor: recorded)
                }
                await wakeup.wait(seconds: seconds)
                continue
            case .deliver(let events):
                batch = events
            }
            if machine.roomAfterDelivery > 0 {
                let limit = machine.roomAfterDelivery
                prefetch = Task { try await subscription.take(limit: limit) }
            }
            let outcomes = await sink.deliver(batch)
            let done = machine.completed(outcomes, now: .now()) { Double(rng.next() >> 11) / Double(1 << 53) }
            report(done)
            recorded = done.cursor
            recording = record(after: recording, sink: name, cursor: done.cursor, retrying: done.retrying, finished: done.finished,
                               dead: done.dead)
            if let reason = done.disabledBecause {
                await recording?.value
                logger.critical("sink disabled until the next start; its undelivered events stay in the journal",
                                metadata: ["sink": "\(name)", "reason": "\(reason)", "cursor": "\(done.cursor)"])
                return
            }
        }
        await recording?.value
    }

    /// Records a round's outcomes once the previous round's are recorded: records are written in order.
    private func record(after previous: Task<Void, Never>?, sink name: String, cursor: Int64, retrying: [Int64: RetryState] = [:],
                        finished: [Int64] = [], dead: [DeadLetter] = []) -> Task<Void, Never> {
        let (journal, logger) = (self.journal, self.logger)
        return Task {
            await previous?.value
            do {
                try await journal.record(sink: name, cursor: cursor, retrying: retrying, finished: finished, dead: dead)
            } catch {
                // Outcomes not recorded are redone after a restart: at-least-once, never lost.
                logger.error("cannot record deliveries in the journal", metadata: ["sink": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Metrics and logs of one round.
    private func report(_ done: DeliveryStateMachine.Completion) {
        let name = sink.name
        if let metrics {
            for (outcome, n) in [("delivered", done.delivered), ("retry", done.retrying.count), ("dead_letter", done.dead.count),
                                 ("disabled", done.disabledEvents), ("filtered", done.filtered)] where n > 0 {
                metrics.add("vicinotify_deliveries_total", [("sink", name), ("outcome", outcome)], Double(n))
            }
        }
        let line = failures.withLock { $0.round(failures: done.failures, delivered: done.delivered, reason: done.lastReason, at: .now()) }
        switch line {
        case .failed(let reason, let events)?:
            logger.warning("delivery failed; will retry", metadata: ["sink": "\(name)", "events": "\(events)", "reason": "\(reason)"])
        case .stillFailing(let reason, let events, let seconds)?:
            logger.warning("delivery still failing; will retry", metadata: ["sink": "\(name)", "failed_in_last_minute": "\(events)",
                                                                           "reason": "\(reason)", "for": "\(ConfigDuration.format(seconds))"])
        case .resumed(let was, let seconds)?:
            logger.notice("delivery resumed", metadata: ["sink": "\(name)", "after": "\(was)", "down_for": "\(ConfigDuration.format(seconds))"])
        case nil:
            if done.failures > 0 {
                logger.debug("delivery failed again; will retry", metadata: ["sink": "\(name)", "events": "\(done.failures)"])
            }
        }
        if let last = done.dead.last {
            logger.error("gave up on events: dead-lettered", metadata: ["sink": "\(name)", "events": "\(done.dead.count)",
                                                                     "reason": "\(last.lastError)"])
        }
    }
}

/// A wake-up call that is never lost: a signal with nobody waiting is kept for the next wait.
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter { s.waiter = nil; return w }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns on a signal, after `seconds`, or when the task is cancelled.
    func wait(seconds: Double) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            if !Task.isCancelled { self?.signal() }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.pending { s.pending = false; return true }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            signal()
        }
        timer.cancel()
    }
}
