/// The result of handing one event to a sink.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// Try again later: after `after` seconds if the sink knows (a `Retry-After`), else by the retry policy.
    case retry(reason: String, after: Double?)
    /// Never try this event again on this sink; it goes to the dead letters.
    case giveUp(reason: String)
}

/// A destination for events. A sink receives batches of events in order and reports an outcome for each.
///
/// Per agent, a sink is never handed an event while an earlier event of the same agent is undelivered;
/// events of different agents may arrive in the same batch or in concurrent calls.
public protocol EventSink: Sendable {
    /// A stable name: a key of the sink's queue and its metrics.
    var name: String { get }
    /// Delivers `batch`; returns one outcome per event, in the same order.
    func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome]
}
