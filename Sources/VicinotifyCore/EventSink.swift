/// The result of handing one event to a sink.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// Try again later: after `after` seconds if the sink knows (a `Retry-After`), else by the retry policy.
    case retry(reason: String, after: Double?)
    /// Never try this event again on this sink; it goes to the dead letters.
    case giveUp(reason: String)
    /// The destination is gone (HTTP 410): stop this sink until the daemon restarts. The event and every
    /// later one stay in the journal, undelivered, for the next start or a `replay`.
    case disableSink(reason: String)
}

/// How a sink's queue gathers a batch: it hands one over as soon as `waitFor` events are ready, or when
/// the first ready event has waited `maxWait` seconds. The default hands over whatever is ready at once.
public struct SinkBatching: Sendable, Equatable {
    public var waitFor: Int
    public var maxWait: Double

    public init(waitFor: Int = 1, maxWait: Double = 0) {
        self.waitFor = waitFor
        self.maxWait = maxWait
    }
}

/// A destination for events. A sink receives batches of events in order and reports an outcome for each.
///
/// Per agent, a sink is never handed an event while an earlier event of the same agent is undelivered;
/// events of different agents may arrive in the same batch or in concurrent calls. Its queue hands it
/// only the events its `filter` lets through, logs its failures and, when the queue ends, calls `close()`:
/// a sink only does its own I/O.
public protocol EventSink: Sendable {
    /// A stable name: a key of the sink's queue and its metrics.
    var name: String { get }
    /// How the queue gathers batches for this sink.
    var batching: SinkBatching { get }
    /// The events this sink wants; the queue passes the others over (counted as `filtered`).
    var filter: EventFilter { get }
    /// Delivers `batch`; returns one outcome per event, in the same order.
    func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome]
    /// Releases what the sink holds (connections, their threads). Called once, when its queue ends.
    func close() async
}

extension EventSink {
    public var batching: SinkBatching { SinkBatching() }
    public var filter: EventFilter { EventFilter() }
    public func close() async {}
}
