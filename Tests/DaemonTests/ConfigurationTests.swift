import Daemon
import Foundation
import NATS
import Sinks
import TestSupport
import Testing
import VicinotifyCore

@Suite struct ConfigurationTests {
    func problems(_ json: String, env: [String: String] = [:]) -> [String] {
        do {
            _ = try Configuration.parse(Data(json.utf8), baseDirectory: "/etc/vicinotify", environment: env)
            return []
        } catch let e as ConfigurationError {
            return e.problems
        } catch {
            return ["unexpected: \(error)"]
        }
    }

    @Test func theProductExampleIsValid() throws {
        let json = """
            {"state_dir": "var/vicinotify",
             "sources": [
               {"name": "dialer1", "url": "https://dialer1.example.com/vicidial/non_agent_api.php", "user": "apiuser",
                "password_env": "VICIDIAL_PASS", "mode": "logged_in_agents", "campaigns": ["SALES"], "user_groups": [],
                "interval": "1s", "timeout": "5s"},
               {"name": "dialer2", "url": "http://10.0.0.7/vicidial/non_agent_api.php", "user": "apiuser", "password": "secret",
                "mode": "agent_status", "agents": ["agent001", "agent002"], "interval": "2s"}],
             "sinks": {"stdout": {"enabled": true}}}
            """
        let c = try Configuration.parse(Data(json.utf8), baseDirectory: "/etc/vicinotify", environment: ["VICIDIAL_PASS": "pw"])
        #expect(c.stateDirectory == "/etc/vicinotify/var/vicinotify")
        #expect(c.sources.count == 2)
        #expect(c.sources[0].vicidial.password == "pw")
        #expect(c.sources[0].vicidial.campaigns == ["SALES"])
        #expect(c.sources[0].eventSource == "vicidial://dialer1.example.com")
        #expect(c.sources[1].vicidial.mode == .agentStatus)
        #expect(c.sources[1].vicidial.interval == 2)
        #expect(c.sources[1].vicidial.timeout == 5, "timeout defaults to 5s")
        #expect(c.sinkNames == ["stdout"])
    }

    @Test func everyProblemIsListedWithItsPath() {
        let p = problems("""
            {"sources": [
               {"name": "a", "url": "ftp://x", "user": "u", "password": "p", "intervall": "1s"},
               {"name": "b c", "url": "http://h/x", "user": "", "password": "p", "password_env": "P", "interval": "soon",
                "mode": "agent_status"},
               {"name": "a", "url": "http://h2/x", "user": "u", "password_env": "MISSING", "stage": "CSV"}],
             "sinks": {"stdout": {"enabled": "yes"}, "webhook": {}}}
            """)
        #expect(p.contains("sources[0].url: not an http(s) URL"))
        #expect(p.contains { $0.hasPrefix("sources[0].intervall: unknown key") })
        #expect(p.contains("sources[1].name: use letters, digits, '-' and '_' only"))
        #expect(p.contains("sources[1].user: must not be empty"))
        #expect(p.contains("sources[1]: give one of password, password_env and password_file, not password and password_env"))
        #expect(p.contains { $0.hasPrefix("sources[1].interval: not a duration") })
        #expect(p.contains("sources[1].agents: agent_status mode needs a list of agents"))
        #expect(p.contains("sources[2].password_env: environment variable MISSING is not set"))
        #expect(p.contains("sources[2].stage: must be pipe, csv or tab"))
        #expect(p.contains("sinks.stdout.enabled: expected true or false"))
        #expect(p.contains { $0.hasPrefix("sinks.webhook: unknown key") })
        #expect(p.count == 11, "\(p)")
    }

    @Test func theRepositoryConfigExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try Configuration.load(path: root.appendingPathComponent("config.example.json").path,
                                       environment: ["VICIDIAL_PASS": "a", "DIALER2_PASS": "b", "PGPASS": "c"])
        #expect(c.sinkNames == ["stdout", "postgres"])
        #expect(c.sinks(of: PostgresSinkConfiguration.self).first?.connection.password == "c" && c.httpListen?.port == 9464)
        #expect(c.alerts.map(\.name) == ["long_break", "long_dead", "long_dispo", "idle_ready"])
    }

    @Test func thePostgresSinkReadsEveryOptionAndDefaults() throws {
        let source = #"{"name": "d", "url": "http://h/x", "user": "u", "password": "p"}"#
        let full = try Configuration.parse(Data("""
            {"sources": [\(source)], "sinks": {"postgres": {
              "conninfo": "host=127.0.0.1 dbname=calls user=notifier", "password_env": "PGPASS",
              "table": "routing.events", "channel": "events", "notify": "batch", "batch": {"max_events": 50, "max_wait": "20ms"},
              "apply_schema": true, "connect_timeout": "3s", "retry": {"initial": "2s"}}}}
            """.utf8), baseDirectory: "/", environment: ["PGPASS": "pw"])
        let pg = try #require(full.sinks(of: PostgresSinkConfiguration.self).first)
        #expect(pg.connection.conninfo == "host=127.0.0.1 dbname=calls user=notifier" && pg.connection.password == "pw")
        #expect(pg.connection.connectTimeout == 3)
        #expect(pg.table == "routing.events" && pg.channel == "events" && pg.notify == .batch)
        #expect(pg.batchMaxEvents == 50 && pg.batchMaxWait == 0.02 && pg.applySchema && pg.retry.initial == 2)
        #expect(full.sinkNames == ["stdout", "postgres"] && full.retryPolicy(for: "postgres")?.initial == 2)

        let minimal = try Configuration.parse(Data("""
            {"sources": [\(source)], "sinks": {"postgres": {"conninfo": "dbname=calls"}}}
            """.utf8), baseDirectory: "/", environment: [:])
        let d = try #require(minimal.sinks(of: PostgresSinkConfiguration.self).first)
        #expect(d.table == "agent_events" && d.channel == "agent_events" && d.notify == .event)
        #expect(d.batchMaxEvents == 500 && d.batchMaxWait == 0 && !d.applySchema && d.connection.password == nil)

        let p = problems("""
            {"sources": [\(source)], "sinks": {"postgres": {"table": "agent events; DROP", "channel": "a.b", "notify": "always",
              "batch": {"max_events": 0}, "apply_schema": 1, "password": "hunter2", "password_env": "X", "tabel": "x"}}}
            """)
        #expect(p.contains("sinks.postgres.conninfo: missing"))
        #expect(p.contains { $0.hasPrefix("sinks.postgres.table: expected lowercase letters") })
        #expect(p.contains("sinks.postgres.channel: expected a name without '.'"))
        #expect(p.contains("sinks.postgres.notify: expected one of \"event\", \"batch\", \"none\""))
        #expect(p.contains { $0.hasPrefix("sinks.postgres.batch.max_events: expected a whole number") })
        #expect(p.contains("sinks.postgres.apply_schema: expected true or false"))
        #expect(p.contains("sinks.postgres: give one of password, password_env and password_file, not password and password_env"))
        #expect(p.contains { $0.hasPrefix("sinks.postgres.tabel: unknown key") })
        #expect(!p.joined().contains("hunter2"))
        #expect(p.count == 8, "\(p)")
    }

    @Test func duplicateNamesAndSharedServersAreCaught() {
        let p = problems("""
            {"sources": [{"name": "a", "url": "http://h/x", "user": "u", "password": "p"},
                         {"name": "a", "url": "http://h/x", "user": "u", "password": "p"}]}
            """)
        #expect(p.contains("sources[1].name: 'a' is already the name of sources[0]"))
        #expect(p.contains { $0.hasPrefix("sources[1].event_source: 'vicidial://h' is already used by sources[0]") })
    }

    @Test func passwordsNeverAppearInProblems() {
        let p = problems("""
            {"sources": [{"name": "a", "url": "http://h/x?pass=topsecret", "user": "u", "password": "topsecret", "x": 1}]}
            """)
        #expect(!p.isEmpty)
        #expect(!p.joined().contains("topsecret"))
    }

    @Test func notJSONAndEmptySources() {
        #expect(problems("{").first?.hasPrefix("$: not valid JSON") == true)
        #expect(problems("{\"sources\": []}") == ["sources: expected a non-empty list of sources"])
    }

    @Test(arguments: [("250ms", 0.25), ("1s", 1.0), ("5m", 300.0), ("24h", 86400.0), ("1m30s", 90.0), ("1.5s", 1.5)])
    func durations(_ text: String, _ seconds: Double) {
        #expect(ConfigDuration.parse(text) == seconds)
    }

    @Test func badDurations() {
        for text in ["", "5", "1x", "s", "-1s", "1 s s"] { #expect(ConfigDuration.parse(text) == nil, "\(text)") }
    }
}

@Suite struct WebhooksFileTests {
    static let secret = "whsec_" + Data(repeating: 7, count: 24).base64EncodedString()

    /// Parses a run configuration naming `webhooks` as its webhooks file.
    func load(_ webhooks: String, env: [String: String] = [:]) -> Result<Configuration, ConfigurationError> {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = FileManager.default.createFile(atPath: dir.file("hooks.json"), contents: Data(webhooks.utf8))
        let config = """
            {"sources": [{"name": "a", "url": "http://h/x", "user": "u", "password": "p"}],
             "sinks": {"webhooks_file": "hooks.json"}}
            """
        return Result { try Configuration.parse(Data(config.utf8), baseDirectory: dir.path, environment: env) }
            .mapError { $0 as! ConfigurationError }
    }

    /// `"\r\n"` is one Swift Character: values are checked byte by byte.
    @Test(arguments: ["a\\r\\nInjected: 1", "a\\rb", "a\\u0000b", "a\\u007fb"])
    func headerValuesWithControlBytesAreRefused(_ value: String) {
        let hooks = #"{"endpoints": [{"name": "x", "url": "http://h/x", "headers": {"X-A": ""# + value + #""}}]}"#
        guard case .failure(let e) = load(hooks) else { Issue.record("accepted \(value)"); return }
        #expect(e.problems == ["sinks.webhooks[0].headers.X-A: expected a string on one line, without control characters"])
    }

    @Test func theRepositoryExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("webhooks.example.json"), encoding: .utf8)
        let c = try load(text, env: ["CRM_WEBHOOK_SECRET": Self.secret]).get()
        #expect(c.sinks(of: WebhookEndpoint.self).map(\.name) == ["crm", "routing", "supervisors"])
        #expect(c.sinkNames == ["stdout", "webhook:crm", "webhook:routing", "webhook:supervisors"])
        #expect(c.sinks(of: WebhookEndpoint.self).map(\.format) == [.cloudevents, .cloudevents, .chat])
        let crm = c.sinks(of: WebhookEndpoint.self)[0]
        #expect(crm.filter == EventFilter(types: ["vicidial.agent.*"], campaigns: ["SALES"]))
        #expect(crm.headers.map(\.name) == ["X-Tenant"] && crm.timeout == 10 && crm.concurrency == 8 && crm.batchMaxEvents == 1)
        #expect(crm.heartbeat == 120 && c.sinks(of: WebhookEndpoint.self)[1].heartbeat == nil)
        #expect(c.retryPolicy(for: "webhook:crm") == RetryPolicy(initial: 1, maxDelay: 300, maxAge: 86_400))
        #expect(c.sinks(of: WebhookEndpoint.self)[1].batchMaxEvents == 100 && c.sinks(of: WebhookEndpoint.self)[1].batchMaxWait == 0.25 && c.sinks(of: WebhookEndpoint.self)[1].concurrency == 64)
    }

    @Test func everyProblemIsListedWithItsPathAndNoSecret() {
        let result = load("""
            {"endpoints": [
              {"name": "a", "url": "not a url", "secret": "whsec_short", "events": ["vicidial.agnt.*"],
               "headers": {"webhook-id": "x", "Bad Name": "y", "X-Ok": "a\\nb"}, "timeout": "soon", "concurrency": 0,
               "batch": {"max_events": 5000}, "filter": {"campaign": []}},
              {"name": "a", "url": "https://user:pw@crm/x", "secret_env": "UNSET"},
              {"name": "b", "url": "https://crm/x", "secret": "plain-text-secret", "retry": {"initial": "fast"}}]}
            """)
        guard case .failure(let error) = result else { Issue.record("accepted"); return }
        let p = error.problems
        #expect(p.contains { $0.hasPrefix("sinks.webhooks[0].url: ") })
        #expect(p.contains { $0.hasPrefix("sinks.webhooks[0].secret: the secret is not whsec_ followed by base64") ||
                             $0.hasPrefix("sinks.webhooks[0].secret: the secret is too short") })
        #expect(p.contains { $0.hasPrefix("sinks.webhooks[0].events: 'vicidial.agnt.*' matches no event type") })
        #expect(p.contains("sinks.webhooks[0].headers.webhook-id: set by vicinotify itself"))
        #expect(p.contains("sinks.webhooks[0].headers.Bad Name: not a valid header name"))
        #expect(p.contains("sinks.webhooks[0].headers.X-Ok: expected a string on one line, without control characters"))
        #expect(p.contains { $0.hasPrefix("sinks.webhooks[0].timeout: not a duration") })
        #expect(p.contains { $0.hasPrefix("sinks.webhooks[0].concurrency: expected a whole number") })
        #expect(p.contains { $0.hasPrefix("sinks.webhooks[0].batch.max_events: expected a whole number") })
        #expect(p.contains { $0.hasPrefix("sinks.webhooks[0].filter.campaign: unknown key") })
        #expect(p.contains("sinks.webhooks[1].url: must not carry credentials; send them in headers"))
        #expect(p.contains("sinks.webhooks[1].secret_env: environment variable UNSET is not set"))
        #expect(p.contains("sinks.webhooks[2].secret: the secret does not start with whsec_"))
        #expect(p.contains { $0.hasPrefix("sinks.webhooks[2].retry.initial: not a duration") })
        #expect(!p.joined().contains("plain-text-secret") && !p.joined().contains(":pw@"))
    }

    @Test func aHeartbeatIsAPeriodTheSinksEventsMustLetThrough() {
        guard case .failure(let e) = load("""
            {"endpoints": [{"name": "a", "url": "http://h/a", "heartbeat": "2m", "events": ["vicidial.agent.status_changed"]},
                           {"name": "b", "url": "http://h/b", "heartbeat": "0s"},
                           {"name": "c", "url": "http://h/c", "heartbeat": "90s", "events": ["vicidial.agent.*"]}]}
            """) else { Issue.record("accepted"); return }
        #expect(e.problems == [
            "sinks.webhooks[0].heartbeat: the sink's events list leaves out vicidial.agent.heartbeat: add it, or drop heartbeat",
            "sinks.webhooks[1].heartbeat: not a duration (write \"250ms\", \"1s\", \"5m\", \"24h\")"])
    }

    @Test func aMissingFileIsAProblem() {
        let result = Result { try Configuration.parse(Data("""
            {"sources": [{"name": "a", "url": "http://h/x", "user": "u", "password": "p"}],
             "sinks": {"webhooks_file": "/nonexistent/hooks.json"}}
            """.utf8), baseDirectory: "/", environment: [:]) }
        #expect(throws: ConfigurationError.self) { try result.get() }
    }
}

@Suite struct NatsConfigurationTests {
    static let source = #"{"name": "d1", "url": "http://h/x", "user": "u", "password": "p"}"#

    func parse(_ nats: String, env: [String: String] = [:]) -> Result<Configuration, ConfigurationError> {
        do {
            return .success(try Configuration.parse(Data(#"{"sources": [\#(Self.source)], "sinks": {"nats": \#(nats)}}"#.utf8),
                                                    baseDirectory: "/etc/vicinotify", environment: env))
        } catch {
            return .failure(error as! ConfigurationError)
        }
    }

    @Test func everyOptionIsReadAndTheSecretComesFromTheEnvironment() throws {
        let c = try parse("""
            {"servers": ["nats://10.0.0.5:4222", "tls://10.0.0.6:4222"], "user": "vn", "password_env": "NATS_PASS",
             "connect_timeout": "2s", "request_timeout": "3s", "max_in_flight": 64, "subject": "calls.{source}.{agent}",
             "stream": {"name": "CALLS", "subjects": ["calls.>"], "max_age": "24h", "replicas": 3, "duplicate_window": "5m"},
             "events": ["vicidial.agent.*"], "heartbeat": "2m"}
            """, env: ["NATS_PASS": "s3cret-pass"]).get()
        let n = try #require(c.sinks(of: NatsSinkConfiguration.self).first)
        #expect(c.sinkNames.contains("nats"))
        #expect(n.connection.servers == ["nats://10.0.0.5:4222", "tls://10.0.0.6:4222"] && n.connection.password == "s3cret-pass")
        #expect(n.connection.connectTimeout == 2 && n.requestTimeout == 3 && n.maxInFlight == 64 && n.heartbeat == 120)
        #expect(n.subjects.agent == "calls.{source}.{agent}" && n.subjects.source == "vicidial.{source}.source")
        var stream = NATSStreamConfiguration(name: "CALLS", subjects: ["calls.>"])
        (stream.maxAge, stream.replicas, stream.duplicateWindow) = (86_400, 3, 300)
        #expect(n.stream == stream)
    }

    @Test func problemsNameTheirPathsAndNoSecret() {
        guard case .failure(let e) = parse("""
            {"servers": ["http://x:4222", "nats://me:s3cr3t-in-url@h:4222"], "password": "p4ss-word-1", "token": "t0ken-0000000", "subject": "a..{who}",
             "stream": {"name": "a.b", "replicas": 9}, "max_in_flight": 0}
            """) else { Issue.record("accepted"); return }
        let p = e.problems
        #expect(p.contains("sinks.nats.servers: 'http://x:4222' is not a nats:// or tls:// URL"))
        #expect(p.contains("sinks.nats.user: required with password"))
        #expect(p.contains("sinks.nats: use one of user/password, token and credentials") == false, "user is unset: password and token")
        #expect(p.contains { $0.hasPrefix("sinks.nats.subject: has an empty token") })
        #expect(p.contains("sinks.nats.stream.name: no '.', '*', '>' or spaces in a stream name"))
        #expect(p.contains { $0.hasPrefix("sinks.nats.stream.replicas: expected a whole number from 1 to 5") })
        #expect(p.contains { $0.hasPrefix("sinks.nats.max_in_flight: expected a whole number") })
        #expect(p.contains("sinks.nats.servers: a server URL must not carry credentials: use user and password_env, or token_env"))
        #expect(!p.joined().contains("p4ss-word-1") && !p.joined().contains("t0ken-0000000") && !p.joined().contains("s3cr3t-in-url"))
    }

    @Test func subjectsAreOneTokenPerValue() {
        var s = NatsSubjects()
        let e = EncodedEvent(id: "x", sequence: 1, type: .statusChanged, subject: "agent.7 *", sourceName: "dialer>1", campaignID: "",
                             userGroup: "", time: .now(), json: [])
        #expect(s.subject(for: e) == "vicidial.dialer_1.agent.agent_7__")
        s.agent = "x.{type}.{agent}"
        #expect(s.subject(for: e) == "x.status_changed.agent_7__")
        var down = e
        down.type = .sourceDown
        #expect(s.subject(for: down) == "vicidial.dialer_1.source")
    }
}
