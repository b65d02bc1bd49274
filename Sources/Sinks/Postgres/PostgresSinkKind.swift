import ConfigValidation
import Postgres
import VicinotifyCore

/// `sinks.postgres`: the PostgreSQL sink's block.
public struct PostgresSinkKind: SinkKind {
    public let key = "postgres"

    public func configure(_ value: Any?, validator v: inout JSONValidator) -> [any SinkConfiguration] {
        guard let value else { return [] }
        let p = "sinks." + key
        guard let d = v.object(value, p, allowed: ["conninfo", "password", "password_env", "password_file", "table", "channel", "notify",
                                                 "batch", "apply_schema", "connect_timeout", "retry", "heartbeat"]) else { return [] }
        let conninfo = v.string(d, "conninfo", p, required: true) ?? ""
        let password = v.secret(d, "password", p, required: false)?.value
        var config = PostgresSinkConfiguration(connection: PostgresConnectionOptions(conninfo: conninfo, password: password))
        config.connection.connectTimeout = Int(v.duration(d, "connect_timeout", p, default: 5, range: 0.1...600).rounded(.up))
        for (key, qualified) in [("table", true), ("channel", false)] {
            guard let name = v.string(d, key, p) else { continue }
            if let why = PostgresIdentifier.problem(with: name, qualified: qualified) { v.problem(p + "." + key, why) }
            if key == "table" { config.table = name } else { config.channel = name }
        }
        if let mode = v.string(d, "notify", p) {
            if let m = PostgresNotifyMode(rawValue: mode) { config.notify = m } else {
                v.problem(p + ".notify", "expected one of " + PostgresNotifyMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
        }
        if let b = d["batch"], let o = v.object(b, p + ".batch", allowed: ["max_events", "max_wait"]) {
            config.batchMaxEvents = v.int(o, "max_events", p + ".batch", default: config.batchMaxEvents, range: 1...5000)
            config.batchMaxWait = v.duration(o, "max_wait", p + ".batch", default: 0, allowZero: true, range: 0.001...3600)
        }
        config.applySchema = v.bool(d, "apply_schema", p) ?? false
        if let r = d["retry"] { config.retry = v.retry(r, p + ".retry") }
        config.heartbeat = v.heartbeat(d, p)
        return [config]
    }
}

extension PostgresSinkConfiguration: SinkConfiguration {
    public var sinkName: String { PostgresSink.sinkName }

    public func makeSink(_ context: SinkContext) -> any EventSink {
        let sink = PostgresSink(configuration: self, logger: context.logger)
        Task { await sink.connect() }  // a wrong password or a missing table is reported at start
        return sink
    }
}
