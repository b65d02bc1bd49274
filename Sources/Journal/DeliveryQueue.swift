import Logging
import Synchronization
import VicinotifyCore

/// Feeds one sink from the journal: its own cursor, its own retries, its own dead letters.
///
/// Events are read in journal order into a bounded window (the backlog itself stays on disk). Per
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

    /// - Parameter metrics: counts `vicinotify_deliveries_total{sink,outcome}` (delivered, retry,
    ///   dead_letter, disabled) when given; the owner of `metrics` declares the family.
    public init(sink: any EventSink, journal: Journal, policy: RetryPolicy = RetryPolicy(), logger: Logger,
                batchSize: Int = 500, windowSize: Int = 2000, metrics: Metrics? = nil) {
        self.metrics = metrics
        self.sink = sink
        self.journal = journal
        self.policy = policy
        self.logger = logger
        self.batchSize = max(1, batchSize)
        self.windowSize = max(batchSize, windowSize)
    }

    /// New events were committed.
    public func notify() { wakeup.signal() }

    /// Deliver what can be delivered now, then let `run()` return instead of waiting for more.
    public func drain() {
        draining.store(true, ordering: .relaxed)
        wakeup.signal()
    }

    private struct Entry {
        var journaled: JournaledEvent
        var retry: RetryState?
        var key: String { journaled.event.sourceName + "\u{0}" + journaled.event.subject }
    }

    /// Runs until cancelled, or after `drain()` once nothing is deliverable right now.
    public func run() async {
        let name = sink.name
        var cursor: Int64
        var retries: [Int64: RetryState]
        do {
            cursor = try await journal.cursor(sink: name)
            retries = try await journal.retries(sink: name)
            let end = try await journal.lastPosition()
            if cursor > end {
                logger.error("this sink's cursor is beyond the journal's end (was the journal replaced?): it starts again from the end; events the journal lost cannot be delivered",
                             metadata: ["sink": "\(name)", "cursor": "\(cursor)", "end": "\(end)"])
                try await journal.resetCursor(sink: name, to: end)
                cursor = end
            }
        } catch {
            logger.critical("cannot read the journal: this sink will not deliver", metadata: ["sink": "\(name)", "error": "\(error)"])
            return
        }
        var window: [Entry] = []
        var readPosition = cursor
        var rng = SplitMix64(seed: UInt64.random(in: .min ... .max))
        let batching = sink.batching
        var gatheringSince: Timestamp?
        // Reading the next events and recording outcomes overlap with the sink's next delivery: the
        // journal works on its own thread while the sink works. Records are written in order.
        var prefetch: Task<[JournaledEvent], any Error>?
        var recording: Task<Void, Never>?
        defer { prefetch?.cancel() }
        while !Task.isCancelled {
            do {
                var more: [JournaledEvent] = []
                if let p = prefetch {
                    prefetch = nil
                    more = try await p.value
                } else if window.count < windowSize {
                    more = try await journal.events(for: name, after: readPosition, limit: windowSize - window.count)
                }
                window += more.map { Entry(journaled: $0, retry: retries.removeValue(forKey: $0.position)) }
                readPosition = more.last?.position ?? readPosition
            } catch {
                logger.error("cannot read the journal; retrying", metadata: ["sink": "\(name)", "error": "\(error)"])
                await wakeup.wait(seconds: 1)
                continue
            }
            let now = Timestamp.now()
            var seen = Set<String>()
            var chosen: [Int] = []
            var nextDue: Timestamp?
            for (i, entry) in window.enumerated() where seen.insert(entry.key).inserted {
                if let r = entry.retry, r.nextAttempt > now {
                    nextDue = min(nextDue ?? r.nextAttempt, r.nextAttempt)
                    continue
                }
                chosen.append(i)
                if chosen.count == batchSize { break }
            }
            let dueIn = nextDue.map { max(0.001, $0.seconds(since: now)) }
            if chosen.isEmpty {
                if draining.load(ordering: .relaxed) { await recording?.value; return }
                await wakeup.wait(seconds: min(dueIn ?? 1, 1))  // also wakes for replays written by other processes
                continue
            }
            if chosen.count < min(batching.waitFor, batchSize), batching.maxWait > 0, !draining.load(ordering: .relaxed) {
                let since = gatheringSince ?? now
                gatheringSince = since
                let left = batching.maxWait - now.seconds(since: since)
                if left > 0 {
                    await wakeup.wait(seconds: min(left, dueIn ?? left))
                    continue
                }
            }
            gatheringSince = nil

            let remaining = window.count - chosen.count
            if remaining < windowSize {
                let (journal, after) = (self.journal, readPosition)
                prefetch = Task { try await journal.events(for: name, after: after, limit: windowSize - remaining) }
            }
            let outcomes = await sink.deliver(chosen.map { window[$0].journaled.event })
            let done = Timestamp.now()
            var finished: [Int64] = []
            var retrying: [Int64: RetryState] = [:]
            var dead: [DeadLetter] = []
            var failures = 0, lastReason = ""
            var disabledBecause: String?
            var disabledEvents = 0
            for (n, i) in chosen.enumerated() {
                let outcome = n < outcomes.count ? outcomes[n] : .retry(reason: "the sink returned no outcome", after: nil)
                let entry = window[i]
                switch outcome {
                case .delivered:
                    finished.append(entry.journaled.position)
                case .disableSink(let reason):
                    disabledBecause = reason
                    disabledEvents += 1
                case .giveUp(let reason):
                    finished.append(entry.journaled.position)
                    dead.append(DeadLetter(sink: name, position: entry.journaled.position, event: entry.journaled.event,
                                           attempts: (entry.retry?.attempts ?? 0) + 1, lastError: reason, deadAt: done))
                case .retry(let reason, let after):
                    failures += 1
                    lastReason = reason
                    var r = entry.retry ?? RetryState(attempts: 0, firstAttempt: done, nextAttempt: done, lastError: "")
                    r.attempts += 1
                    r.lastError = reason
                    if policy.exhausted(attempts: r.attempts, age: done.seconds(since: r.firstAttempt)) {
                        finished.append(entry.journaled.position)
                        dead.append(DeadLetter(sink: name, position: entry.journaled.position, event: entry.journaled.event,
                                               attempts: r.attempts, lastError: reason, deadAt: done))
                    } else {
                        let jitter = Double(rng.next() >> 11) / Double(1 << 53)
                        let delay = policy.delay(afterAttempt: r.attempts, random: jitter, retryAfter: after)
                        r.nextAttempt = done.adding(milliseconds: Int64(delay * 1000))
                        retrying[entry.journaled.position] = r
                        window[i].retry = r
                    }
                }
            }
            if let metrics {
                let delivered = finished.count - dead.count
                for (outcome, n) in [("delivered", delivered), ("retry", retrying.count), ("dead_letter", dead.count),
                                     ("disabled", disabledEvents)] where n > 0 {
                    metrics.add("vicinotify_deliveries_total", [("sink", name), ("outcome", outcome)], Double(n))
                }
            }
            if failures > 0 {
                logger.warning("delivery failed; will retry", metadata: ["sink": "\(name)", "events": "\(failures)", "reason": "\(lastReason)"])
            }
            if !dead.isEmpty {
                logger.error("gave up on events: dead-lettered", metadata: ["sink": "\(name)", "events": "\(dead.count)",
                                                                         "reason": "\(dead.last!.lastError)"])
            }
            let finishedSet = Set(finished)
            window.removeAll { finishedSet.contains($0.journaled.position) }
            cursor = (window.first?.journaled.position ?? readPosition + 1) - 1
            let (previous, journal, logger, position) = (recording, self.journal, self.logger, cursor)
            recording = Task {
                await previous?.value
                do {
                    try await journal.record(sink: name, cursor: position, retrying: retrying, finished: finished, dead: dead)
                } catch {
                    // Outcomes not recorded are redone after a restart: at-least-once, never lost.
                    logger.error("cannot record deliveries in the journal", metadata: ["sink": "\(name)", "error": "\(error)"])
                }
            }
            if let reason = disabledBecause {
                await recording?.value
                logger.critical("sink disabled until the next start; its undelivered events stay in the journal",
                                metadata: ["sink": "\(name)", "reason": "\(reason)", "cursor": "\(cursor)"])
                return
            }
        }
        await recording?.value
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
