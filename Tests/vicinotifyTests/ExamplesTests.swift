import CurlHTTP
import Foundation
import TestSupport
import Testing

/// The consumer kit in `examples/`, each run against the real daemon: the Python and Node SSE consumers
/// across a daemon restart, the Python and PHP webhook receivers' signature checks, and the PostgreSQL LISTEN
/// consumer's catch-up and restart.
@Suite(.serialized) struct ExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func example(_ path: String) -> String { root.appendingPathComponent("examples/" + path).path }

    static func daemon(_ dir: TemporaryDirectory) throws -> RunningChild {
        try RunningChild([CommandLineTests.binary.path, "run", "--config", dir.file("config.json")])
    }

    /// The daemon's configuration over the in-process simulator. A loaded test process can take seconds to
    /// answer, and a poll that times out counts the source down (`down_after: 1`), hence 5 s.
    static func config(_ dir: TemporaryDirectory, sim: RunningSimulator, port: Int, sinks: String = #"{"stdout": {"enabled": false}}"#) throws {
        try Data("""
            {"state_dir": "state", "sinks": \(sinks), "http": {"listen": "127.0.0.1:\(port)"},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass", "interval": "100ms",
                          "timeout": "5s", "down_after": 1}]}
            """.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))
    }

    static func has(_ events: [[String: Any]], _ type: String, _ agent: String) -> Bool {
        events.contains { $0["type"] as? String == type && $0["subject"] as? String == agent }
    }

    @Test func theSSEConsumersResumeAcrossADaemonRestartWithNoGapAndNoRepeat() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        let dir = TemporaryDirectory("vn-sse-examples")
        defer { dir.remove() }
        let port = freeLoopbackPort()
        try Self.config(dir, sim: sim, port: port)
        var daemon = try Self.daemon(dir)
        #expect(await daemon.stderr.line(containing: "vicinotify started") != nil)
        let url = "http://127.0.0.1:\(port)"
        let python = try RunningChild(["python3", Self.example("python/sse_consumer.py"), url, "--position-file", dir.file("py.position"), "--since", "0"])
        let node = try RunningChild(["node", Self.example("node/sse_consumer.mjs"), url, "--position-file", dir.file("node.position"), "--since", "0"])
        for consumer in [python, node] {
            #expect(await consumer.wait { $0.filter { $0["type"] as? String == "vicidial.agent.logged_in" }.count == 3 }, "\(consumer.stderr.text)")
        }
        try await sim.set("agent001", ["status": "READY", "pause_code": ""])
        for consumer in [python, node] { #expect(await consumer.wait { Self.has($0, "vicidial.agent.status_changed", "agent001") }) }

        await daemon.stop()
        try await sim.set("agent002", ["status": "PAUSED", "pause_code": "BREAK"])  // while the daemon is down
        daemon = try Self.daemon(dir)
        #expect(await daemon.stderr.line(containing: "vicinotify started") != nil)
        try await sim.set("agent003", ["status": "READY", "pause_code": ""])
        for consumer in [python, node] {
            #expect(await consumer.wait { Self.has($0, "vicidial.agent.status_changed", "agent002") && Self.has($0, "vicidial.agent.status_changed", "agent003") },
                    "\(consumer.stderr.text)")
            #expect(consumer.stderr.text.contains("reconnecting"), "it saw the daemon go")
        }
        await daemon.stop()
        await python.stop()
        await node.stop()
        await sim.stop()
        let ids = python.events.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == ids.count, "no event twice")
        #expect(ids == node.events.compactMap { $0["id"] as? String }, "both saw the same events in the same order")
        // Every sequence from 1 on, once, in order; a loaded machine may add source events (a slow poll is an outage).
        let sequences = python.events.compactMap { ($0["sequence"] as? String).flatMap { Int($0) } }
        #expect(sequences == Array(1...max(sequences.count, 1)), "\(sequences)")
        let agentEvents = python.events.filter { ($0["type"] as? String)?.hasPrefix("vicidial.agent.") == true }
        #expect(agentEvents.count == 6, "\(python.events.map { $0["type"] ?? "" })")
        let gap = python.events.first { $0["subject"] as? String == "agent002" && $0["type"] as? String == "vicidial.agent.status_changed" }
        #expect((gap?["data"] as? [String: Any])?["after_gap"] as? Bool == true, "the change made while the daemon was down")
    }

    /// A receiver's command line on a port, and the line it prints once listening.
    static let receivers: [(name: String, command: @Sendable (Int, TemporaryDirectory) -> [String], ready: String)] = [
        ("python", { port, _ in ["python3", example("python/webhook_receiver.py"), "--port", String(port)] }, "listening on"),
        ("php", { port, dir in ["env", "WEBHOOK_SEEN_FILE=\(dir.file("seen"))",
                                "php", "-S", "127.0.0.1:\(port)", example("php/webhook_receiver.php")] }, "started"),
    ]

    @Test(arguments: receivers.map(\.name))
    func theWebhookReceiverTakesSignedDeliveriesOnceAndRefusesForgedOnes(language: String) async throws {
        let kind = try #require(Self.receivers.first { $0.name == language })
        let sim = try await RunningSimulator.start(agents: 2)
        let dir = TemporaryDirectory("vn-hook-example")
        defer { dir.remove() }
        let hookPort = freeLoopbackPort(), port = freeLoopbackPort()
        let secret = "whsec_ZXhhbXBsZS1yZWNlaXZlci1zZWNyZXQtMDEyMzQ1Njc4OQ=="
        let receiver = try RunningChild(kind.command(hookPort, dir), environment: ["WEBHOOK_SECRET": secret])
        #expect(await receiver.stderr.line(containing: kind.ready) != nil)
        try Data(#"{"endpoints": [{"name": "crm", "url": "http://127.0.0.1:\#(hookPort)/hook", "secret_env": "HOOK_SECRET"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: dir.file("hooks.json")))
        try Self.config(dir, sim: sim, port: port, sinks: #"{"stdout": {"enabled": false}, "webhooks_file": "hooks.json"}"#)
        let daemon = try RunningChild([CommandLineTests.binary.path, "run", "--config", dir.file("config.json")], environment: ["HOOK_SECRET": secret])
        #expect(await receiver.wait { $0.filter { $0["type"] as? String == "vicidial.agent.logged_in" }.count == 2 }, "\(daemon.stderr.text)")
        try await sim.set("agent001", ["status": "READY", "pause_code": ""])
        #expect(await receiver.wait { Self.has($0, "vicidial.agent.status_changed", "agent001") })

        // A request signed with another secret is refused, and never handled.
        let forged = try await sim.http.perform(HTTPRequest(method: .post, url: "http://127.0.0.1:\(hookPort)/hook", headers: [
            ("Content-Type", "application/json"), ("webhook-id", "msg_forged"), ("webhook-timestamp", String(Int(Date().timeIntervalSince1970))),
            ("webhook-signature", "v1,bm90LXRoZS1yaWdodC1zaWduYXR1cmUtYXQtYWxsLTAwMA==")], body: Array(#"{"type":"forged"}"#.utf8)))
        #expect(forged.status == 401)
        #expect(await receiver.stderr.line(containing: "msg_forged") != nil)
        await daemon.stop()
        await receiver.stop()
        await sim.stop()
        #expect(!receiver.stdout.text.contains("forged"))
        let ids = receiver.events.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == ids.count && ids.count == 3)
    }

    @Test func thePostgresConsumerCatchesUpThenFollowsAndResumesWithoutRepeats() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        let dir = TemporaryDirectory("vn-pg-example")
        defer { dir.remove() }
        let table = TestPostgres.uniqueName("example_events"), port = freeLoopbackPort()
        try Self.config(dir, sim: sim, port: port, sinks: """
            {"stdout": {"enabled": false}, "postgres": {"conninfo": "\(TestPostgres.conninfo)", "password_env": "PGPASSWORD",
             "table": "\(table)", "channel": "\(table)", "apply_schema": true}}
            """)
        let env = ["PGPASSWORD": TestPostgres.password]
        let daemon = try RunningChild([CommandLineTests.binary.path, "run", "--config", dir.file("config.json")], environment: env)
        #expect(await daemon.stderr.line(containing: "vicinotify started") != nil)
        let args = ["python3", Self.example("postgres/listen_consumer.py"), TestPostgres.conninfo, "--table", table, "--channel", table,
                    "--position-file", dir.file("pg.position")]
        var consumer = try RunningChild(args, environment: env)
        #expect(await consumer.wait { $0.filter { $0["type"] as? String == "vicidial.agent.logged_in" }.count == 3 }, "catch-up: \(consumer.stderr.text)")
        try await sim.set("agent001", ["status": "READY", "pause_code": ""])
        #expect(await consumer.wait { Self.has($0, "vicidial.agent.status_changed", "agent001") }, "woken by NOTIFY")
        await consumer.stop()
        let first = consumer.events.compactMap { $0["id"] as? String }

        try await sim.set("agent002", ["status": "READY", "pause_code": ""])  // while the consumer is down
        consumer = try RunningChild(args, environment: env)
        #expect(await consumer.wait { Self.has($0, "vicidial.agent.status_changed", "agent002") })
        try await sim.set("agent003", ["status": "READY", "pause_code": ""])
        #expect(await consumer.wait { Self.has($0, "vicidial.agent.status_changed", "agent003") })
        await consumer.stop()
        await daemon.stop()
        await sim.stop()
        let second = consumer.events.compactMap { $0["id"] as? String }
        #expect(first.count == 4 && second.count == 2 && Set(first).isDisjoint(with: second), "\(first) then \(second)")
    }
}
