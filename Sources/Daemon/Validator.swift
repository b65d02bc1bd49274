import ConfigValidation
import Foundation
import Sinks
import VICIdial
import VicinotifyCore

/// The run configuration's own blocks: sources, journal, http; the sinks' blocks are read by their kinds.
extension JSONValidator {
    mutating func configuration(_ root: Any) -> Configuration? {
        guard let d = object(root, "$", allowed: ["state_dir", "sources", "sinks", "journal", "http", "alerts"]) else { return nil }
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
        var sinks: [any SinkConfiguration] = []
        let blocks = d["sinks"].flatMap { object($0, "sinks", allowed: SinkRegistry.kinds.map(\.key)) } ?? [:]
        for kind in SinkRegistry.kinds { sinks += kind.configure(blocks[kind.key], validator: &self) }
        var listen: (host: String, port: Int)?
        var access = APIAccess()
        var readers = (max: 256, buffer: 10_000)
        if let h = d["http"], let o = object(h, "http", allowed: ["listen", "tokens", "tokens_env", "cors_origins", "max_readers",
                                                                  "reader_buffer_events"]) {
            listen = listenAddress(string(o, "listen", "http", required: true) ?? "")
            access = apiAccess(o)
            let connections = OperationsServer.defaultMaxConnections
            readers.max = int(o, "max_readers", "http", default: min(readers.max, connections), range: 1...100_000)
            if readers.max > connections {
                problem("http.max_readers", "\(readers.max) is more than the \(connections) connections the listener serves at once "
                        + "(a quarter of the open-file limit, at most 512): at most \(connections)")
            }
            readers.buffer = int(o, "reader_buffer_events", "http", default: readers.buffer, range: 100...1_000_000)
            if let host = listen?.host, !APIAccess.isLoopback(host), access.tokens.isEmpty {
                problem("http.listen", "\(host) is not a loopback address: set http.tokens (or tokens_env) so /v1/* is not open to the network")
            }
        }
        var keep = 100_000
        var maxBytes: Int?
        if let j = d["journal"], let o = object(j, "journal", allowed: ["keep_events", "max_mb"]) {
            keep = int(o, "keep_events", "journal", default: keep, range: 0...1_000_000_000)
            if o["max_mb"] != nil { maxBytes = int(o, "max_mb", "journal", default: 0, range: 1...10_000_000) << 20 }
        }
        var config = Configuration(stateDirectory: resolve(stateDir), sources: sources, sinks: sinks,
                                   journalKeepEvents: keep, journalMaxBytes: maxBytes)
        config.httpListen = listen
        config.apiAccess = access
        config.eventReaders = readers
        let rules = d["alerts"].map { alertRules($0, sources: Set(sources.map(\.vicidial.name))) }
        config.alerts = rules?.agents ?? []
        config.queueAlerts = rules?.queues ?? []
        for (i, token) in access.tokens.enumerated() {
            for s in token.sources where names[s] == nil { problem("http.tokens[\(i)].sources", "'\(s)' is not a configured source") }
        }
        return config
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

    /// `http.tokens` (objects with `token` or `token_env`, `sources`, `campaigns`), `http.tokens_env` (the
    /// name of a variable holding tokens separated by spaces, unlimited) and `http.cors_origins`.
    mutating func apiAccess(_ o: [String: Any]) -> APIAccess {
        var access = APIAccess(corsOrigins: strings(o, "cors_origins", "http"))
        if let list = o["tokens"] {
            guard let items = list as? [Any] else {
                problem("http.tokens", "expected a list of {\"token\" or \"token_env\", \"sources\", \"campaigns\"}")
                return access
            }
            for (i, item) in items.enumerated() {
                let p = "http.tokens[\(i)]"
                guard let t = object(item, p, allowed: ["token", "token_env", "token_file", "sources", "campaigns"]) else { continue }
                guard let secret = secret(t, "token", p, required: true) else { continue }
                tokenProblems(secret.value, secret.path, among: access.tokens)
                access.tokens.append(APIAccess.Token(secret: secret.value, sources: strings(t, "sources", p),
                                                     campaigns: strings(t, "campaigns", p)))
            }
        }
        if let env = string(o, "tokens_env", "http") {
            let value = environment[env] ?? ""
            if value.isEmpty, requireSecrets { problem("http.tokens_env", "environment variable \(env) is not set") }
            for secret in value.split(whereSeparator: \.isWhitespace) {
                tokenProblems(String(secret), "http.tokens_env (\(env))", among: access.tokens)
                access.tokens.append(APIAccess.Token(secret: String(secret)))
            }
        }
        return access
    }

    /// A token shorter than 16 characters, with spaces around it (a header never carries them), or equal
    /// to another one (the first would win, and its scope with it). Never says the token itself.
    private mutating func tokenProblems(_ secret: String, _ path: String, among earlier: [APIAccess.Token]) {
        if secret != secret.trimmingCharacters(in: .whitespacesAndNewlines) || secret.contains(where: \.isWhitespace) {
            problem(path, "a token cannot contain spaces or line breaks (they cannot be sent in an Authorization header)")
        } else if secret.count < 16 {
            problem(path, "a token needs at least 16 characters")
        }
        if earlier.contains(where: { $0.secret == secret }) {
            problem(path, "this token is given twice (with different scopes, one would silently win): give each scope its own token")
        }
    }

    mutating func source(_ value: Any, _ p: String) -> Configuration.Source? {
        let allowed = ["name", "url", "user", "password", "password_env", "password_file", "mode", "campaigns", "user_groups", "agents",
                       "interval", "timeout", "connect_timeout", "stage", "header", "api_source", "concurrency",
                       "down_after", "auth_backoff", "event_source", "ca_file", "verify_logouts", "max_response_bytes", "database", "queues"]
        guard let d = object(value, p, allowed: allowed) else { return nil }
        if d["mode"] as? String == VICIdialSource.Mode.database.rawValue { return databaseSource(d, p) }
        if d["database"] != nil { problem(p + ".database", "only used with \"mode\": \"database\"") }
        let before = problems.count
        let name = self.name(d, p)
        let (url, components) = httpURL(d, p)
        var authority = ""
        if let u = components, let host = u.host {
            if u.user != nil || u.password != nil { problem(p + ".url", "must not carry credentials; use user and password") }
            if u.query != nil { problem(p + ".url", "must not carry a query string") }
            if !u.path.hasSuffix("non_agent_api.php") {
                warn(p + ".url", "does not end in non_agent_api.php: VICIdial's API is at http(s)://HOST/vicidial/non_agent_api.php "
                     + "(a proxy may put it elsewhere; a wrong path answers HTTP 404)")
            }
            authority = host.contains(":") ? "[\(host)]" : host
            if let port = u.port { authority += ":\(port)" }
        }
        let user = string(d, "user", p, required: true) ?? ""
        let secret = secret(d, "password", p, required: true)
        let password = secret?.value ?? ""
        if let secret {
            if password.isEmpty { problem(secret.path, "must not be empty") }
            if !password.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                warn(secret.path, "the password has characters other than [-_0-9a-zA-Z], which VICIdial "
                     + "removes before checking it: it cannot log in through the API as written")
            }
        }
        let modeText = string(d, "mode", p) ?? "logged_in_agents"
        let mode = VICIdialSource.Mode(rawValue: modeText)
        if mode == nil { problem(p + ".mode", "must be logged_in_agents, agent_status or database") }
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
        var withQueues = source
        withQueues.queues = queues(d, p, database: false)
        let eventSource = string(d, "event_source", p) ?? "vicidial://\(authority)"
        if eventSource.isEmpty { problem(p + ".event_source", "must not be empty") }
        return problems.count == before ? Configuration.Source(vicidial: withQueues, eventSource: eventSource) : nil
    }
}
