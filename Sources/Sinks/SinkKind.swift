import ConfigValidation
import Logging
import VicinotifyCore

/// One kind of sink as the configuration knows it: its key in the `sinks` object, and how it reads its
/// block into configured sinks. A kind is listed once in `SinkRegistry`.
public protocol SinkKind: Sendable {
    /// The key of its block in `sinks` (`"stdout"`, `"webhooks_file"`, `"postgres"`).
    var key: String { get }
    /// Reads `sinks.<key>` (`nil` when the block is absent), reporting problems with their JSON paths on
    /// `validator`. Returns the sinks it configures: none, one, or several (one per webhook endpoint).
    func configure(_ value: Any?, validator: inout JSONValidator) -> [any SinkConfiguration]
}

/// One configured sink: its name (its journal cursor's), its retry policy, and how to make it.
public protocol SinkConfiguration: Sendable {
    var sinkName: String { get }
    var retry: RetryPolicy { get }
    /// Seconds without an event for an agent after which the sink is given a `vicidial.agent.heartbeat`
    /// (the `heartbeat` option); `nil`: never.
    var heartbeat: Double? { get }
    /// The events the sink takes; heartbeats follow it too.
    var filter: EventFilter { get }
    func makeSink(_ context: SinkContext) -> any EventSink
}

extension SinkConfiguration {
    public var heartbeat: Double? { nil }
    public var filter: EventFilter { EventFilter() }
}

/// What a sink may need from the process that runs it.
public struct SinkContext: Sendable {
    public var logger: Logger
    /// Asks the daemon to stop gracefully (standard output closed, for example).
    public var requestStop: @Sendable () -> Void

    public init(logger: Logger, requestStop: @escaping @Sendable () -> Void = {}) {
        self.logger = logger
        self.requestStop = requestStop
    }
}

/// An already made sink with its policy: for embedding and tests, beside the configured ones.
public struct PreparedSink: SinkConfiguration {
    public let sink: any EventSink
    public let retry: RetryPolicy
    public let heartbeat: Double?
    public let filter: EventFilter
    public var sinkName: String { sink.name }

    public init(_ sink: any EventSink, retry: RetryPolicy = RetryPolicy(), heartbeat: Double? = nil,
                filter: EventFilter = EventFilter()) {
        self.sink = sink
        self.retry = retry
        self.heartbeat = heartbeat
        self.filter = filter
    }

    public func makeSink(_ context: SinkContext) -> any EventSink { sink }
}
