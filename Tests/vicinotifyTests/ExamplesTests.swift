import CurlHTTP
import Foundation
import TestSupport
import Testing

/// The consumer kit in `examples/`, each run against the real daemon: the Python and Node SSE consumers
/// across a daemon restart, the Python webhook receiver's signature check, and the PostgreSQL LISTEN
/// consumer's catch-up and restart.
@Suite(.serialized) struct ExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func example(_ path: String) -> String { root.appendingPathComponent("examples/" + path).path }

    /// A child process and its output, stopped when the test is done.
    final class Child: @unchecked Sendable {
        let process = Process()
        let stdout: OperationsTests.Collector, stderr: OperationsTests.Collector

        init(_ args: [String], environment: [String: String] = [:], directory: String? = nil) throws {
            process.executableURL = args[0].hasPrefix("/") ? URL(fileURLWithPath: args[0]) : URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = args[0].hasPrefix("/") ? Array(args.dropFirst()) : args
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            stdout = OperationsTests.Collector(out)
            stderr = OperationsTests.Collector(err)
            try process.run()
        }

        /// The events printed so far, one CloudEvent JSON per line.
        var events: [[String: Any]] {
            stdout.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        /// Waits (at most `timeout` s) until `condition` holds for the printed events.
        func wait(timeout: Double = 20, until condition: ([[String: Any]]) -> Bool) async -> Bool {
            let end = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
            while ContinuousClock.now < end {
                if condition(events) { return true }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return condition(events)
        }

        func stop() async { await process.stop() }
    }

    static func daemon(_ dir: TemporaryDirectory) throws -> Child {
        let d = try Child([CommandLineTests.binary.path, "run", "--config", dir.file("config.json")])
        return d
    }

    static func config(_ dir: TemporaryDirectory, sim: RunningSimulator, port: Int, sinks: String = #"{"stdout": {"enabled": false}}"#) throws {
        try Data("""
            {"state_dir": "state", "sinks": \(sinks), "http": {"listen": "127.0.0.1:\(port)"},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass", "interval": "100ms"}]}
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
        let python = try Child(["python3", Self.example("python/sse_consumer.py"), url, "--position-file", dir.file("py.position"), "--since", "0"])
        let node = try Child(["node", Self.example("node/sse_consumer.mjs"), url, "--position-file", dir.file("node.position"), "--since", "0"])
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
        let sequences = python.events.compactMap { $0["sequence"] as? String }
        #expect(sequences == sequences.sorted() && sequences.count == 6, "\(sequences)")
        let gap = python.events.first { $0["subject"] as? String == "agent002" && $0["type"] as? String == "vicidial.agent.status_changed" }
        #expect((gap?["data"] as? [String: Any])?["after_gap"] as? Bool == true, "the change made while the daemon was down")
    }

    @Test func theWebhookReceiverTakesSignedDeliveriesOnceAndRefusesForgedOnes() async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        let dir = TemporaryDirectory("vn-hook-example")
        defer { dir.remove() }
        let hookPort = freeLoopbackPort(), port = freeLoopbackPort()
        let secret = "whsec_ZXhhbXBsZS1yZWNlaXZlci1zZWNyZXQtMDEyMzQ1Njc4OQ=="
        let receiver = try Child(["python3", Self.example("python/webhook_receiver.py"), "--port", String(hookPort)],
                                 environment: ["WEBHOOK_SECRET": secret])
        #expect(await receiver.stderr.line(containing: "listening on") != nil)
        try Data(#"{"endpoints": [{"name": "crm", "url": "http://127.0.0.1:\#(hookPort)/hook", "secret_env": "HOOK_SECRET"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: dir.file("hooks.json")))
        try Self.config(dir, sim: sim, port: port, sinks: #"{"stdout": {"enabled": false}, "webhooks_file": "hooks.json"}"#)
        let daemon = try Child([CommandLineTests.binary.path, "run", "--config", dir.file("config.json")], environment: ["HOOK_SECRET": secret])
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
        let daemon = try Child([CommandLineTests.binary.path, "run", "--config", dir.file("config.json")], environment: env)
        #expect(await daemon.stderr.line(containing: "vicinotify started") != nil)
        let args = ["python3", Self.example("postgres/listen_consumer.py"), TestPostgres.conninfo, "--table", table, "--channel", table,
                    "--position-file", dir.file("pg.position")]
        var consumer = try Child(args, environment: env)
        #expect(await consumer.wait { $0.filter { $0["type"] as? String == "vicidial.agent.logged_in" }.count == 3 }, "catch-up: \(consumer.stderr.text)")
        try await sim.set("agent001", ["status": "READY", "pause_code": ""])
        #expect(await consumer.wait { Self.has($0, "vicidial.agent.status_changed", "agent001") }, "woken by NOTIFY")
        await consumer.stop()
        let first = consumer.events.compactMap { $0["id"] as? String }

        try await sim.set("agent002", ["status": "READY", "pause_code": ""])  // while the consumer is down
        consumer = try Child(args, environment: env)
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
