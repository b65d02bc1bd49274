import ConfigValidation
import Foundation
import VICIdial

extension JSONValidator {
    /// A source's `queues` block: `{"in_groups": ["SUPPORT", …] | "all", "min_interval": "5s"}`.
    mutating func queues(_ d: [String: Any], _ p: String, database: Bool) -> QueueSelection? {
        guard d["queues"] != nil,
              let q = object(d["queues"], p + ".queues", allowed: ["in_groups", "min_interval", "interval", "campaigns"]) else { return nil }
        let path = p + ".queues.in_groups"
        var selection = QueueSelection(minInterval: duration(q, "min_interval", p + ".queues", default: 5, allowZero: true, range: 0...3600),
                                       interval: duration(q, "interval", p + ".queues", default: 0, allowZero: true, range: 0...3600))
        if let c = q["campaigns"] {
            if let map = c as? [String: Any] {
                for key in map.keys.sorted() where !key.hasPrefix("//") { selection.campaigns[key] = strings(map, key, p + ".queues.campaigns") }
            } else {
                problem(p + ".queues.campaigns", "expected an object: each in-group's campaigns, {\"SUPPORT\": [\"INBOUND\"]}")
            }
        }
        if q["in_groups"] as? String == "all" {
            if database { selection.all = true } else {
                problem(path, "\"all\" needs a database source: the API asks in_group_status one in-group at a time, so list them")
            }
        } else {
            selection.inGroups = strings(q, "in_groups", p + ".queues")
            if selection.inGroups.isEmpty { problem(path, "list the in-groups (or campaigns) to watch") }
            if !database && q["interval"] == nil { selection.interval = QueueSelection.apiDefaultInterval(inGroups: selection.inGroups.count) }
        }
        return selection
    }

    /// A source in `database` mode: `name`, `interval`, `timeout`, `down_after`, `event_source` and a
    /// `database` block (where, as whom, TLS, `max_lag`).
    mutating func databaseSource(_ d: [String: Any], _ p: String) -> Configuration.Source? {
        let before = problems.count
        for key in ["url", "user", "password", "password_env", "password_file", "campaigns", "user_groups", "agents", "stage", "header", "api_source",
                    "concurrency", "connect_timeout", "verify_logouts", "max_response_bytes", "ca_file", "auth_backoff"] where d[key] != nil {
            problem(p + "." + key, "not used by a database source (its connection is in database)")
        }
        let name = self.name(d, p)
        let db = p + ".database"
        guard let b = object(d["database"] ?? [String: Any](), db, allowed: ["host", "port", "socket", "name", "user", "password",
                                                                           "password_env", "password_file", "ca_file", "require_tls",
                                                                           "max_lag"]) else { return nil }
        if d["database"] == nil { problem(db, "a database source needs a database block (host, user, password_env …)") }
        let user = string(b, "user", db, required: true) ?? ""
        let password = secret(b, "password", db, required: true)?.value ?? ""
        let socket = string(b, "socket", db)
        let host = string(b, "host", db) ?? "127.0.0.1"
        if socket != nil && b["host"] != nil { problem(db, "give host (and port) or socket, not both") }
        let requireTLS = bool(b, "require_tls", db) ?? false
        let caFile = string(b, "ca_file", db).map(resolve)
        if requireTLS && caFile == nil && socket == nil {
            warn(db + ".require_tls", "without ca_file the server's certificate is not verified against a CA of yours")
        }
        let location = DatabaseLocation(
            host: host, port: int(b, "port", db, default: 3306, range: 1...65535), socket: socket.map(resolve),
            name: string(b, "name", db) ?? "asterisk", user: user, password: password, caFile: caFile, requireTLS: requireTLS,
            maxLag: duration(b, "max_lag", db, default: 5, range: 1...3600))
        let interval = duration(d, "interval", p, default: 1, range: VICIdialSource.minimumInterval...3600)
        var source = VICIdialSource(name: name, url: location.redacted, user: user, password: password, mode: .database,
                                    interval: interval, timeout: duration(d, "timeout", p, default: 5, range: 0.1...600),
                                    downAfter: int(d, "down_after", p, default: 3, range: 1...1000))
        source.database = location
        source.queues = queues(d, p, database: true)
        let eventSource = string(d, "event_source", p) ?? "vicidial-db://\(source.authority)"
        if eventSource.isEmpty { problem(p + ".event_source", "must not be empty") }
        return problems.count == before ? Configuration.Source(vicidial: source, eventSource: eventSource) : nil
    }
}
