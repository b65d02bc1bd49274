import Journal
import VicinotifyCore

/// The decisions of one sink's delivery queue as a value: which journaled events may go now (per-agent
/// order, retries not yet due, batching), how outcomes change retry state, when an event is given up,
/// and where the cursor stands. No I/O and no clock: the time and the randomness come in as arguments,
/// so tables of inputs test it. `DeliveryQueue` is the loop around it that reads, delivers and records.
public struct DeliveryStateMachine: Sendable {
    /// One event in the window and its retry state, if it failed before.
    public struct Entry: Sendable, Equatable {
        public var journaled: JournaledEvent
        public var retry: RetryState?
        var key: String { journaled.event.sourceName + "\u{0}" + journaled.event.subject }
    }

    /// What the loop does next.
    public enum Action: Sendable, Equatable {
        /// Hand these events to the sink, then report their outcomes to `completed`.
        case deliver([EncodedEvent])
        /// Nothing to hand over: wait for new events or this many seconds, whichever comes first.
        case wait(seconds: Double)
        /// Draining and nothing deliverable is left.
        case finish
    }

    /// What a round of outcomes changed, for the journal, metrics and logs.
    public struct Completion: Sendable, Equatable {
        public var finished: [Int64] = []
        public var retrying: [Int64: RetryState] = [:]
        public var dead: [DeadLetter] = []
        /// Every event at or below it is finished.
        public var cursor: Int64 = 0
        public var delivered = 0
        public var failures = 0
        /// Events the sink's filter passed over since the last completion: finished without a delivery.
        public var filtered = 0
        public var lastReason = ""
        /// The sink is disabled (HTTP 410): the loop stops after recording.
        public var disabledBecause: String?
        public var disabledEvents = 0
    }

    /// The sink's name, as its dead letters carry it.
    public let sink: String
    public let policy: RetryPolicy
    public let batching: SinkBatching
    public let batchSize: Int
    public let windowSize: Int
    /// The events the sink wants; others are finished as they are read.
    public let filter: EventFilter
    private var filteredSinceCompletion = 0
    public private(set) var window: [Entry] = []
    /// The last journal position read into the window.
    public private(set) var readPosition: Int64
    public private(set) var cursor: Int64
    /// Retry states loaded from the journal, attached to their events as they are read.
    private var pendingRetries: [Int64: RetryState]
    private var gatheringSince: Timestamp?
    private var inFlight: [Int] = []
    /// The sink answered with `Retry-After` (any value, even 0 or a past date): nothing goes before this
    /// time, at least a second after the answer, then one event at a time until one is delivered.
    public private(set) var pausedUntil: Timestamp?
    private var probing = false
    /// The least pause after a `Retry-After`: at most one request a second to a sink that keeps asking.
    public static let retryAfterFloor = 1.0

    public init(sink: String, cursor: Int64, retries: [Int64: RetryState], policy: RetryPolicy, batching: SinkBatching,
                filter: EventFilter = EventFilter(), batchSize: Int = 500, windowSize: Int = 2000) {
        self.sink = sink
        self.filter = filter
        self.cursor = cursor
        self.readPosition = cursor
        self.pendingRetries = retries
        self.policy = policy
        self.batching = batching
        self.batchSize = max(1, batchSize)
        self.windowSize = max(self.batchSize, windowSize)
    }

    /// How many events the window has room for; 0 when it is full.
    public var room: Int { max(0, windowSize - window.count) }

    /// Room left once the events in flight are finished: what may be read ahead during a delivery.
    public var roomAfterDelivery: Int { max(0, windowSize - (window.count - inFlight.count)) }

    /// Events read from the journal, in journal order, after `readPosition`; `through` is the position
    /// read through (past other sinks' events), when it is known. With nothing waiting, the cursor follows.
    public mutating func received(_ events: [JournaledEvent], through: Int64? = nil) {
        for e in events {
            let retry = pendingRetries.removeValue(forKey: e.position)
            guard filter.allowsEverything || filter.matches(e.event) else {
                filteredSinceCompletion += 1
                continue
            }
            window.append(Entry(journaled: e, retry: retry))
        }
        readPosition = max(readPosition, through ?? events.last?.position ?? readPosition)
        if window.isEmpty { cursor = max(cursor, readPosition) }
    }

    /// Events the filter passed over since the last call (or completion), for the metrics.
    public mutating func takeFiltered() -> Int {
        defer { filteredSinceCompletion = 0 }
        return filteredSinceCompletion
    }

    /// What to do at `now`. Per agent only the oldest event in the window may go, and only when its
    /// retry is due; at most `batchSize` go together. A batch is in journal order and ends before a
    /// second event of an agent already in it, so a sink that never fails sees every event in sequence
    /// order; only an agent waiting for a retry falls behind the others.
    public mutating func next(now: Timestamp, draining: Bool) -> Action {
        precondition(inFlight.isEmpty, "next(now:draining:) while a delivery is in flight")
        if let until = pausedUntil, until > now {
            return draining ? .finish : .wait(seconds: max(0.001, until.seconds(since: now)))
        }
        let batchSize = probing ? 1 : self.batchSize
        var held = Set<String>()
        var batched = Set<String>()
        var chosen: [Int] = []
        var nextDue: Timestamp?
        var cut = false
        for (i, entry) in window.enumerated() {
            if batched.contains(entry.key) { cut = true; break }
            guard held.insert(entry.key).inserted else { continue }
            if let r = entry.retry, r.nextAttempt > now {
                nextDue = min(nextDue ?? r.nextAttempt, r.nextAttempt)
                continue
            }
            chosen.append(i)
            batched.insert(entry.key)
            if chosen.count == batchSize { cut = true; break }
        }
        let dueIn = nextDue.map { max(0.001, $0.seconds(since: now)) }
        if chosen.isEmpty {
            // Also wakes every second for replays written by other processes.
            return draining ? .finish : .wait(seconds: min(dueIn ?? 1, 1))
        }
        if !cut, chosen.count < min(batching.waitFor, batchSize), batching.maxWait > 0, !draining {
            let since = gatheringSince ?? now
            gatheringSince = since
            let left = batching.maxWait - now.seconds(since: since)
            if left > 0 { return .wait(seconds: min(left, dueIn ?? left)) }
        }
        gatheringSince = nil
        inFlight = chosen
        return .deliver(chosen.map { window[$0].journaled.event })
    }

    /// The sink's outcomes for the events of the last `.deliver`, in order, observed at `now`.
    /// `random` draws the jitter of each retry's wait, in `0..<1`.
    public mutating func completed(_ outcomes: [DeliveryOutcome], now: Timestamp,
                                   random: () -> Double) -> Completion {
        var c = Completion()
        c.filtered = filteredSinceCompletion
        filteredSinceCompletion = 0
        for (n, i) in inFlight.enumerated() {
            let outcome = n < outcomes.count ? outcomes[n] : .retry(reason: "the sink returned no outcome", after: nil)
            let entry = window[i]
            let position = entry.journaled.position
            switch outcome {
            case .delivered:
                c.finished.append(position)
                c.delivered += 1
            case .disableSink(let reason):
                c.disabledBecause = reason
                c.disabledEvents += 1
            case .giveUp(let reason):
                c.finished.append(position)
                c.dead.append(DeadLetter(sink: sink, position: position, event: entry.journaled.event,
                                         attempts: (entry.retry?.attempts ?? 0) + 1, lastError: reason, deadAt: now))
            case .retry(let reason, let after):
                c.failures += 1
                c.lastReason = reason
                var r = entry.retry ?? RetryState(attempts: 0, firstAttempt: now, nextAttempt: now, lastError: "")
                r.attempts += 1
                r.lastError = reason
                if policy.exhausted(attempts: r.attempts, age: now.seconds(since: r.firstAttempt)) {
                    c.finished.append(position)
                    c.dead.append(DeadLetter(sink: sink, position: position, event: entry.journaled.event,
                                             attempts: r.attempts, lastError: reason, deadAt: now))
                } else {
                    let delay = policy.delay(afterAttempt: r.attempts, random: random(), retryAfter: after)
                    r.nextAttempt = now.adding(milliseconds: Int64(delay * 1000))
                    c.retrying[position] = r
                    window[i].retry = r
                }
            }
        }
        let askedToWait = outcomes.compactMap { if case .retry(_, let after?) = $0 { after } else { nil } }.max()
        if let after = askedToWait {
            pausedUntil = now.adding(milliseconds: Int64(max(Self.retryAfterFloor, min(after, policy.maxDelay)) * 1000))
            probing = true
        } else if c.delivered > 0 {
            pausedUntil = nil
            probing = false
        }
        inFlight = []
        let finished = Set(c.finished)
        window.removeAll { finished.contains($0.journaled.position) }
        cursor = (window.first?.journaled.position ?? readPosition + 1) - 1
        c.cursor = cursor
        return c
    }
}
