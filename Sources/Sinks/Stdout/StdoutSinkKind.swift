import ConfigValidation
import Foundation
import VicinotifyCore

/// `sinks.stdout`: `{"enabled": true, "retry": {...}}`; on unless disabled.
public struct StdoutSinkKind: SinkKind {
    public let key = "stdout"

    public func configure(_ value: Any?, validator v: inout JSONValidator) -> [any SinkConfiguration] {
        var config = StdoutSinkConfiguration()
        if let value, let o = v.object(value, "sinks.stdout", allowed: ["enabled", "retry", "heartbeat"]) {
            if v.bool(o, "enabled", "sinks.stdout") == false { return [] }
            if let r = o["retry"] { config.retry = v.retry(r, "sinks.stdout.retry") }
            config.heartbeat = v.heartbeat(o, "sinks.stdout")
        }
        return [config]
    }
}

/// The stdout sink as configured.
public struct StdoutSinkConfiguration: SinkConfiguration {
    public var sinkName: String { "stdout" }
    public var retry = RetryPolicy()
    public var heartbeat: Double?

    public init(retry: RetryPolicy = RetryPolicy(), heartbeat: Double? = nil) {
        self.retry = retry
        self.heartbeat = heartbeat
    }

    public func makeSink(_ context: SinkContext) -> any EventSink {
        signal(SIGPIPE, SIG_IGN)
        let (logger, stop) = (context.logger, context.requestStop)
        return StdoutSink(onClosed: {
            logger.notice("standard output closed: stopping")
            stop()
        })
    }
}
