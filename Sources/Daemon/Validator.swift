import Foundation
import Postgres
import Sinks
import VICIdial
import VicinotifyCore

/// Walks the JSON, collecting problems instead of stopping at the first.
struct Validator {
    let environment: [String: String]
    var baseDirectory: String
    let requireSecrets: Bool
    var problems: [String] = []
    var warnings: [String] = []

    mutating func problem(_ path: String, _ message: String) { problems.append("\(path): \(message)") }

    /// The JSON path of `key` inside `path` (`$` is the root, whose keys stand alone).
    static func join(_ path: String, _ key: String) -> String { path == "$" ? key : path + "." + key }

    mutating func object(_ value: Any?, _ path: String, allowed: [String]) -> [String: Any]? {
        guard let dict = value as? [String: Any] else {
            problem(path, "expected an object")
            return nil
        }
        for key in dict.keys.sorted() where !allowed.contains(key) {
            problem(path == "$" ? key : Self.join(path, key), "unknown key (allowed: \(allowed.joined(separator: ", ")))")
        }
        return dict
    }

    mutating func string(_ d: [String: Any], _ key: String, _ path: String, required: Bool = false) -> String? {
        guard let value = d[key] else {
            if required { problem(Self.join(path, key), "missing") }
            return nil
        }
        guard let s = value as? String else { problem(Self.join(path, key), "expected a string"); return nil }
        if required && s.isEmpty { problem(Self.join(path, key), "must not be empty") }
        return s
    }

    mutating func strings(_ d: [String: Any], _ key: String, _ path: String) -> [String] {
        guard let value = d[key] else { return [] }
        guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
            problem(Self.join(path, key), "expected a list of strings")
            return []
        }
        let out = list as! [String]
        for (i, s) in out.enumerated() where s.isEmpty || s.contains("|") {
            problem("\(path).\(key)[\(i)]", "must be non-empty and must not contain '|'")
        }
        return out
    }

    /// A duration within `range` (seconds); every duration has bounds, so none can overflow a timer.
    mutating func duration(_ d: [String: Any], _ key: String, _ path: String, default def: Double,
                           allowZero: Bool = false, range: ClosedRange<Double> = 0.001...ConfigDuration.maximum) -> Double {
        guard let value = d[key] else { return def }
        guard let text = value as? String, let seconds = ConfigDuration.parse(text), seconds > 0 || (allowZero && seconds == 0) else {
            problem(Self.join(path, key), "not a duration (write \"250ms\", \"1s\", \"5m\", \"24h\")")
            return def
        }
        guard range.contains(seconds) || (allowZero && seconds == 0) else {
            problem(Self.join(path, key), "must be from \(ConfigDuration.format(range.lowerBound)) to \(ConfigDuration.format(range.upperBound))")
            return def
        }
        return seconds
    }

    /// JSON `true`/`false` (Foundation on Linux also bridges the numbers 0 and 1 to `Bool`).
    static func isBoolean(_ value: Any) -> Bool {
        (value as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
    }

    mutating func bool(_ d: [String: Any], _ key: String, _ path: String) -> Bool? {
        guard let value = d[key] else { return nil }
        guard Self.isBoolean(value), let b = value as? Bool else { problem(Self.join(path, key), "expected true or false"); return nil }
        return b
    }

    mutating func int(_ d: [String: Any], _ key: String, _ path: String, default def: Int, range: ClosedRange<Int>) -> Int {
        guard let value = d[key] else { return def }
        guard let n = value as? NSNumber, !Self.isBoolean(value), Double(n.intValue) == n.doubleValue, range.contains(n.intValue) else {
            problem(Self.join(path, key), "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            return def
        }
        return n.intValue
    }

    mutating func configuration(_ root: Any) -> Configuration? {
        guard let d = object(root, "$", allowed: ["state_dir", "sources", "sinks", "journal", "http"]) else { return nil }
        let stateDir = string(d, "state_dir", "$") ?? "var/vicinotify"
        var sources: [Configuration.Source] = []
        if let list = d["sources"] as? [Any], !list.isEmpty {
            for (i, s) in list.enumerated() {
                if let src = source(s, "sources[\(i)]") { sources.append(src) }
            }
        } else {
            problem("sources", "expected a non-empty list of sources")
        }
        var names: [String: Int] = [:]
        var eventSources: [String: Int] = [:]
        for (i, s) in sources.enumerated() {
            if let j = names[s.vicidial.name] { problem("sources[\(i)].name", "'\(s.vicidial.name)' is already the name of sources[\(j)]") }
            names[s.vicidial.name] = names[s.vicidial.name] ?? i
            if let j = eventSources[s.eventSource] {
                problem("sources[\(i)].event_source", "'\(s.eventSource)' is already used by sources[\(j)]; set event_source so their event sequences stay apart")
            }
            eventSources[s.eventSource] = eventSources[s.eventSource] ?? i
        }
        var stdoutEnabled = true
        var stdoutRetry = RetryPolicy()
        var webhooks: [WebhookEndpoint] = []
        var postgres: PostgresSinkConfiguration?
        if let sinks = d["sinks"] {
            if let s = object(sinks, "sinks", allowed: ["stdout", "webhooks_file", "postgres"]) {
                if let out = s["stdout"], let o = object(out, "sinks.stdout", allowed: ["enabled", "retry"]) {
                    stdoutEnabled = bool(o, "enabled", "sinks.stdout") ?? stdoutEnabled
                    if let r = o["retry"] { stdoutRetry = retry(r, "sinks.stdout.retry") }
                }
                if let file = s["webhooks_file"] {
                    if let name = file as? String, !name.isEmpty {
                        webhooks = webhooksFile(resolve(name))
                    } else {
                        problem("sinks.webhooks_file", "expected the path of the webhooks file")
                    }
                }
                if let pg = s["postgres"] { postgres = self.postgres(pg, "sinks.postgres") }
            }
        }
        var listen: (host: String, port: Int)?
        if let h = d["http"], let o = object(h, "http", allowed: ["listen"]) {
            listen = listenAddress(string(o, "listen", "http", required: true) ?? "")
        }
        var keep = 100_000
        var maxBytes: Int?
        if let j = d["journal"], let o = object(j, "journal", allowed: ["keep_events", "max_mb"]) {
            keep = int(o, "keep_events", "journal", default: keep, range: 0...1_000_000_000)
            if o["max_mb"] != nil { maxBytes = int(o, "max_mb", "journal", default: 0, range: 1...10_000_000) << 20 }
        }
        var config = Configuration(stateDirectory: resolve(stateDir), sources: sources, stdoutEnabled: stdoutEnabled,
                                   stdoutRetry: stdoutRetry, journalKeepEvents: keep, journalMaxBytes: maxBytes,
                                   webhooks: webhooks)
        config.httpListen = listen
        config.postgres = postgres
        return config
    }

    mutating func postgres(_ value: Any, _ p: String) -> PostgresSinkConfiguration? {
        guard let d = object(value, p, allowed: ["conninfo", "password", "password_env", "table", "channel", "notify",
                                                 "batch", "apply_schema", "connect_timeout", "retry"]) else { return nil }
        let conninfo = string(d, "conninfo", p, required: true) ?? ""
        let password = secret(d, "password", p, required: false)?.value
        var config = PostgresSinkConfiguration(connection: PostgresConnectionOptions(conninfo: conninfo, password: password))
        config.connection.connectTimeout = Int(duration(d, "connect_timeout", p, default: 5, range: 0.1...600).rounded(.up))
        for (key, qualified) in [("table", true), ("channel", false)] {
            guard let name = string(d, key, p) else { continue }
            if let why = PostgresIdentifier.problem(with: name, qualified: qualified) { problem(p + "." + key, why) }
            if key == "table" { config.table = name } else { config.channel = name }
        }
        if let mode = string(d, "notify", p) {
            if let m = PostgresNotifyMode(rawValue: mode) { config.notify = m } else {
                problem(p + ".notify", "expected one of " + PostgresNotifyMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
        }
        if let b = d["batch"], let o = object(b, p + ".batch", allowed: ["max_events", "max_wait"]) {
            config.batchMaxEvents = int(o, "max_events", p + ".batch", default: config.batchMaxEvents, range: 1...5000)
            config.batchMaxWait = duration(o, "max_wait", p + ".batch", default: 0, allowZero: true, range: 0.001...3600)
        }
        config.applySchema = bool(d, "apply_schema", p) ?? false
        if let r = d["retry"] { config.retry = retry(r, p + ".retry") }
        return config
    }

    /// A sink's `retry` block; every sink accepts the same one.
    mutating func retry(_ value: Any, _ p: String) -> RetryPolicy {
        let def = RetryPolicy()
        guard let o = object(value, p, allowed: ["initial", "max_delay", "max_age", "max_attempts"]) else { return def }
        return RetryPolicy(initial: duration(o, "initial", p, default: def.initial, range: 0.001...86400),
                           maxDelay: duration(o, "max_delay", p, default: def.maxDelay, range: 0.001...86400),
                           maxAge: duration(o, "max_age", p, default: def.maxAge),
                           maxAttempts: int(o, "max_attempts", p, default: 0, range: 0...1_000_000))
    }

    /// A secret given as `key` or, by the name of an environment variable, as `key_env`; not both.
    /// - Returns: the value and the JSON path it came from; `nil` when absent or unset.
    mutating func secret(_ d: [String: Any], _ key: String, _ p: String, required: Bool) -> (value: String, path: String)? {
        let envKey = key + "_env"
        switch (string(d, key, p), string(d, envKey, p)) {
        case (let value?, nil): return (value, p + "." + key)
        case (nil, let env?):
            if let value = environment[env], !value.isEmpty { return (value, p + "." + envKey) }
            if requireSecrets { problem(p + "." + envKey, "environment variable \(env) is not set") }
        case (nil, nil): if required { problem(p, "needs \(key) or \(envKey)") }
        case (_?, _?): problem(p, "give \(key) or \(envKey), not both")
        }
        return nil
    }

    /// `HOST:PORT`, `[IPv6]:PORT` or a bare port (on 127.0.0.1).
    mutating func listenAddress(_ text: String) -> (host: String, port: Int)? {
        guard !text.isEmpty else { return nil }
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        }
        guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            problem("http.listen", "expected HOST:PORT, [IPv6]:PORT or PORT, e.g. \"127.0.0.1:9464\"")
            return nil
        }
        return (host, port)
    }

    /// A required `name` of letters, digits, '-' and '_'.
    mutating func name(_ d: [String: Any], _ p: String) -> String {
        let name = string(d, "name", p, required: true) ?? ""
        if !name.isEmpty, !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            problem(p + ".name", "use letters, digits, '-' and '_' only")
        }
        return name
    }

    /// A required http(s) `url` with a host; the components are `nil` when it is not one.
    mutating func httpURL(_ d: [String: Any], _ p: String) -> (String, URLComponents?) {
        let url = string(d, "url", p, required: true) ?? ""
        guard !url.isEmpty else { return (url, nil) }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            problem(p + ".url", "must not contain spaces, control characters or non-ASCII characters (percent-encode them)")
            return (url, nil)
        }
        if url.contains("#") { problem(p + ".url", "must not carry a fragment ('#...')") }
        if let port = URLComponents(string: url)?.port, !(1...65535).contains(port) {
            problem(p + ".url", "port \(port) is not from 1 to 65535")
            return (url, nil)
        }
        guard let u = URLComponents(string: url), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = u.host, !host.isEmpty else {
            problem(p + ".url", "not an http(s) URL")
            return (url, nil)
        }
        return (url, u)
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

    mutating func source(_ value: Any, _ p: String) -> Configuration.Source? {
        let allowed = ["name", "url", "user", "password", "password_env", "mode", "campaigns", "user_groups", "agents",
                       "interval", "timeout", "connect_timeout", "stage", "header", "api_source", "concurrency",
                       "down_after", "auth_backoff", "event_source", "ca_file", "verify_logouts", "max_response_bytes"]
        guard let d = object(value, p, allowed: allowed) else { return nil }
        let before = problems.count
        let name = self.name(d, p)
        let (url, components) = httpURL(d, p)
        var authority = ""
        if let u = components, let host = u.host {
            if u.user != nil || u.password != nil { problem(p + ".url", "must not carry credentials; use user and password") }
            if u.query != nil { problem(p + ".url", "must not carry a query string") }
            authority = host.contains(":") ? "[\(host)]" : host
            if let port = u.port { authority += ":\(port)" }
        }
        let user = string(d, "user", p, required: true) ?? ""
        let secret = secret(d, "password", p, required: true)
        let password = secret?.value ?? ""
        if let secret {
            if password.isEmpty { problem(secret.path, "must not be empty") }
            if !password.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                warnings.append("\(secret.path): the password has characters other than [-_0-9a-zA-Z], which VICIdial "
                                + "removes before checking it: it cannot log in through the API as written")
            }
        }
        let modeText = string(d, "mode", p) ?? "logged_in_agents"
        let mode = VICIdialSource.Mode(rawValue: modeText)
        if mode == nil { problem(p + ".mode", "must be logged_in_agents or agent_status") }
        let agents = strings(d, "agents", p)
        if mode == .agentStatus && agents.isEmpty { problem(p + ".agents", "agent_status mode needs a list of agents") }
        if mode == .loggedInAgents && !agents.isEmpty { problem(p + ".agents", "only used in agent_status mode") }
        let stageText = string(d, "stage", p) ?? "tab"
        let stage = VICIdialSource.Stage(rawValue: stageText)
        if stage == nil { problem(p + ".stage", "must be pipe, csv or tab") }
        let header = bool(d, "header", p) ?? true
        let apiSource = string(d, "api_source", p) ?? "vicinotify"
        if !(2...20).contains(apiSource.count) || !apiSource.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            problem(p + ".api_source", "2 to 20 letters and digits (VICIdial removes every other character from source)")
        }
        let verifyText = string(d, "verify_logouts", p) ?? "auto"
        let verifyLogouts = VICIdialSource.VerifyLogouts(rawValue: verifyText)
        if verifyLogouts == nil { problem(p + ".verify_logouts", "must be auto, always or never") }
        let interval = duration(d, "interval", p, default: 1, range: VICIdialSource.minimumInterval...3600)
        let timeout = duration(d, "timeout", p, default: 5, range: 0.1...600)
        let source = VICIdialSource(
            name: name, url: url, user: user, password: password, mode: mode ?? .loggedInAgents,
            campaigns: strings(d, "campaigns", p), userGroups: strings(d, "user_groups", p), agents: agents,
            stage: stage ?? .tab, header: header, interval: interval, timeout: timeout,
            connectTimeout: duration(d, "connect_timeout", p, default: min(3, timeout), range: 0.1...600), apiSource: apiSource,
            concurrency: int(d, "concurrency", p, default: 4, range: 1...64),
            downAfter: int(d, "down_after", p, default: 3, range: 1...1000),
            authBackoff: duration(d, "auth_backoff", p, default: 300, range: 1...86400),
            caFile: string(d, "ca_file", p).map(resolve),
            verifyLogouts: verifyLogouts ?? .auto,
            maxResponseBytes: int(d, "max_response_bytes", p, default: 32 << 20, range: 65536...(1 << 30)))
        let eventSource = string(d, "event_source", p) ?? "vicidial://\(authority)"
        if eventSource.isEmpty { problem(p + ".event_source", "must not be empty") }
        return problems.count == before ? Configuration.Source(vicidial: source, eventSource: eventSource) : nil
    }
}
