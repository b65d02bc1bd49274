import ConfigValidation
import Foundation
import NATS
import VicinotifyCore

/// `sinks.nats`: the NATS JetStream sink's block.
public struct NatsSinkKind: SinkKind {
    public let key = "nats"

    public func configure(_ value: Any?, validator v: inout JSONValidator) -> [any SinkConfiguration] {
        guard let value else { return [] }
        let p = "sinks." + key
        guard let d = v.object(value, p, allowed: ["servers", "user", "password", "password_env", "password_file", "token", "token_env", "token_file", "credentials",
                                                 "ca_file", "connect_timeout", "request_timeout", "max_in_flight", "subject",
                                                 "source_subject", "stream", "events", "retry", "heartbeat"]) else { return [] }
        let servers = v.strings(d, "servers", p)
        if servers.isEmpty { v.problem(p + ".servers", "required: the NATS server URLs, e.g. [\"nats://127.0.0.1:4222\"]") }
        for s in servers {
            let url = URLComponents(string: s)
            if url?.user != nil || url?.password != nil {
                v.problem(p + ".servers", "a server URL must not carry credentials: use user and password_env, or token_env")
            } else if !(s.hasPrefix("nats://") || s.hasPrefix("tls://")) || url?.host == nil {
                v.problem(p + ".servers", "'\(s)' is not a nats:// or tls:// URL")
            }
        }
        var c = NatsSinkConfiguration(connection: NATSConnectionOptions(servers: servers))
        c.connection.user = v.string(d, "user", p)
        c.connection.password = v.secret(d, "password", p, required: false)?.value
        c.connection.token = v.secret(d, "token", p, required: false)?.value
        c.connection.credentialsFile = v.string(d, "credentials", p).map(v.resolve)
        c.connection.caFile = v.string(d, "ca_file", p).map(v.resolve)
        if c.connection.password != nil && c.connection.user == nil { v.problem(p + ".user", "required with password") }
        let ways = [c.connection.user != nil, c.connection.token != nil, c.connection.credentialsFile != nil].filter { $0 }.count
        if ways > 1 { v.problem(p, "use one of user/password, token and credentials") }
        for (key, file) in [("credentials", c.connection.credentialsFile), ("ca_file", c.connection.caFile)] {
            if let file, !FileManager.default.isReadableFile(atPath: file) { v.problem(p + "." + key, "cannot read \(file)") }
        }
        c.connection.connectTimeout = v.duration(d, "connect_timeout", p, default: 5, range: 0.1...600)
        c.requestTimeout = v.duration(d, "request_timeout", p, default: 5, range: 0.1...600)
        c.maxInFlight = v.int(d, "max_in_flight", p, default: 256, range: 1...65_536)
        for (key, keyPath) in [("subject", \NatsSubjects.agent), ("source_subject", \NatsSubjects.source)] {
            guard let t = v.string(d, key, p) else { continue }
            if let why = NatsSubjects.problem(with: t) { v.problem(p + "." + key, why) }
            c.subjects[keyPath: keyPath] = t
        }
        let events = v.strings(d, "events", p)
        if let bad = EventFilter.unmatchablePattern(in: events) {
            v.problem(p + ".events", "'\(bad)' matches no event type (vicidial.agent.*, vicidial.source.*)")
        }
        c.filter = EventFilter(types: events)
        if let s = d["stream"] { c.stream = v.natsStream(s, p + ".stream") }
        if let r = d["retry"] { c.retry = v.retry(r, p + ".retry") }
        c.heartbeat = v.heartbeat(d, p, filter: c.filter)
        return [c]
    }
}

extension JSONValidator {
    mutating func natsStream(_ value: Any, _ p: String) -> NATSStreamConfiguration? {
        guard let o = object(value, p, allowed: ["name", "subjects", "max_age", "max_bytes", "replicas", "duplicate_window"]) else { return nil }
        let name = string(o, "name", p, required: true) ?? ""
        if !name.isEmpty, name.contains(where: { ".*> ".contains($0) }) { problem(p + ".name", "no '.', '*', '>' or spaces in a stream name") }
        var s = NATSStreamConfiguration(name: name, subjects: strings(o, "subjects", p))
        if s.subjects.isEmpty { s.subjects = ["vicidial.>"] }
        s.maxAge = duration(o, "max_age", p, default: 0, allowZero: true)
        s.maxBytes = Int64(int(o, "max_bytes", p, default: -1, range: -1...Int.max))
        s.replicas = int(o, "replicas", p, default: 1, range: 1...5)
        s.duplicateWindow = duration(o, "duplicate_window", p, default: 120, range: 1...86_400)
        return s
    }
}

/// The NATS sink as configured.
public struct NatsSinkConfiguration: SinkConfiguration {
    public static let sinkName = "nats"
    public var connection: NATSConnectionOptions
    /// Seconds to await an acknowledgment.
    public var requestTimeout: Double = 5
    public var maxInFlight = 256
    public var subjects = NatsSubjects()
    /// Created or checked at start when set.
    public var stream: NATSStreamConfiguration?
    public var filter = EventFilter()
    public var retry = RetryPolicy()
    public var heartbeat: Double?
    public var sinkName: String { Self.sinkName }

    public init(connection: NATSConnectionOptions) { self.connection = connection }

    public func makeSink(_ context: SinkContext) -> any EventSink { NatsSink(configuration: self, logger: context.logger) }
}
