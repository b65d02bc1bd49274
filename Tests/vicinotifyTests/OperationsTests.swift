import CurlHTTP
import Foundation
import TestSupport
import Testing

/// The daemon as an operator sees it: the real binary with secrets set, JSON logs, `/metrics`,
/// `/healthz` and `/readyz`; and nowhere a secret.
@Suite(.serialized) struct OperationsTests {
    static let password = "Pw-never-printed-9431"
    static let secret = "whsec_" + Data((0..<32).map { UInt8($0 * 7 % 256) }).base64EncodedString()

    /// Collects a pipe's output (read by `CommandLineTests.read`) and lets a test await a line.
    final class Collector: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private var waiters: [(String, Int, CheckedContinuation<String?, Never>)] = []
        private(set) var done: Task<Void, Never>!

        init(_ handle: FileHandle) {
            done = Task { [self] in
                _ = await CommandLineTests.read(handle) { all in self.update(all) }
                finish()
            }
        }

        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

        private func update(_ all: Data) {
            let ready: [(CheckedContinuation<String?, Never>, String)] = lock.withLock {
                data = all
                let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
                var out: [(CheckedContinuation<String?, Never>, String)] = []
                waiters.removeAll { needle, occurrence, c in
                    let matching = lines.filter { $0.contains(needle) }
                    guard matching.count >= occurrence else { return false }
                    out.append((c, matching[occurrence - 1]))
                    return true
                }
                return out
            }
            for (c, line) in ready { c.resume(returning: line) }
        }

        private func finish() {
            let all = lock.withLock { defer { waiters = [] }; return waiters }
            for (_, _, c) in all { c.resume(returning: nil) }
        }

        /// The first line containing `needle`, once it arrives; `nil` if the pipe closes first.
        func line(containing needle: String) async -> String? { await line(containing: needle, occurrence: 1) }

        /// The `occurrence`-th line containing `needle`, once it arrives; `nil` if the pipe closes first.
        func line(containing needle: String, occurrence: Int) async -> String? {
            await withCheckedContinuation { c in
                let found: String? = lock.withLock {
                    let matching = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.contains(needle) }
                    if matching.count >= occurrence { return String(matching[occurrence - 1]) }
                    waiters.append((needle, occurrence, c))
                    return nil
                }
                if let found { c.resume(returning: found) }
            }
        }
    }

    @Test func metricsHealthAndNoSecretAnywhere() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        try await sim.auth(["password": Self.password])
        let receiver = try await WebhookReceiver.start(secrets: [Self.secret])
        defer { receiver.stop() }
        try await receiver.behave("/fail", ["status": 500])
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let hooks = """
            {"endpoints": [
              {"name": "ok", "url": "\(receiver.url("/ok"))", "secret_env": "HOOK_SECRET"},
              {"name": "fail", "url": "\(receiver.url("/fail"))", "secret_env": "HOOK_SECRET",
               "retry": {"initial": "50ms", "max_delay": "100ms", "max_attempts": 3}}]}
            """
        _ = FileManager.default.createFile(atPath: dir.file("hooks.json"), contents: Data(hooks.utf8))
        let config = """
            {"state_dir": "state", "http": {"listen": "127.0.0.1:0"},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password_env": "VICI_PASS",
                          "interval": "100ms", "timeout": "3s", "down_after": 1}],
             "sinks": {"webhooks_file": "hooks.json"}}
            """
        _ = FileManager.default.createFile(atPath: dir.file("config.json"), contents: Data(config.utf8))

        let daemon = try RunningChild([CommandLineTests.binary.path, "run", "--config", dir.file("config.json"), "--log-format", "json", "--log-level", "debug"],
                                      environment: ["VICI_PASS": Self.password, "HOOK_SECRET": Self.secret])
        let (p, stdout, stderr) = (daemon.process, daemon.stdout, daemon.stderr)
        defer { p.terminate() }

        let serving = try #require(await stderr.line(containing: "serving /metrics"))
        let log = try #require(try JSONSerialization.jsonObject(with: Data(serving.utf8)) as? [String: Any])
        #expect(log["level"] as? String == "info" && log["label"] as? String == "vicinotify" && log["time"] is String)
        let listen = try #require(log["listen"] as? String)
        let base = "http://\(listen)"
        #expect(try await receiver.waitForAccepted(3, at: "/ok"))
        _ = await stderr.line(containing: "\"sink\":\"webhook:fail\"")

        let http = CurlTransport()
        func get(_ path: String) async throws -> (Int, String) {
            let r = try await http.perform(HTTPRequest(url: base + path))
            return (r.status, String(decoding: r.body, as: UTF8.self))
        }
        #expect(try await get("/healthz").0 == 200)
        let (readyStatus, readyBody) = try await get("/readyz")
        #expect(readyStatus == 200, "\(readyBody)")
        let (metricsStatus, metrics) = try await get("/metrics")
        #expect(metricsStatus == 200)
        for expected in ["# TYPE vicinotify_polls_total counter", "vicinotify_polls_total{source=\"sim\",outcome=\"ok\"} ",
                         "# TYPE vicinotify_poll_duration_seconds histogram",
                         "vicinotify_poll_duration_seconds_bucket{source=\"sim\",le=\"+Inf\"} ",
                         "vicinotify_agents{source=\"sim\",status=\"",
                         "vicinotify_events_total{source=\"sim\",type=\"vicidial.agent.logged_in\"} 3",
                         "vicinotify_deliveries_total{sink=\"webhook:ok\",outcome=\"delivered\"} 3",
                         "vicinotify_deliveries_total{sink=\"webhook:fail\",outcome=\"retry\"} ",
                         "vicinotify_sink_queue_depth{sink=\"webhook:ok\"} 0",
                         "vicinotify_sink_oldest_undelivered_age_seconds{sink=\"webhook:ok\"} 0",
                         "vicinotify_journal_bytes ", "vicinotify_source_up{source=\"sim\"} 1"] {
            #expect(metrics.contains(expected), "\(expected)")
        }

        // VICIdial fails: the source is down, and /readyz says why once three intervals and the timeout
        // (3.3 s; a loaded test process can take a second to answer) pass without a success; asked until then, for at most 15 s.
        try await sim.fault(["status": 500, "count": 0])
        #expect(await stderr.line(containing: "poll failed again", occurrence: 3) != nil)
        var notReady = try await get("/readyz")
        for _ in 0..<150 where notReady.0 != 503 {
            try await Task.sleep(for: .milliseconds(100))
            notReady = try await get("/readyz")
        }
        #expect(notReady.0 == 503)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(notReady.1.utf8)) as? [String: Any])
        #expect(((body["sources"] as? [String: Any])?["sim"] as? [String: Any])?["last_failure"] as? String == "http_status")
        _ = await stderr.line(containing: "gave up on events")
        let metricsAfter = try await get("/metrics").1
        #expect(metricsAfter.contains("vicinotify_source_up{source=\"sim\"} 0"))
        #expect(metricsAfter.contains("vicinotify_polls_total{source=\"sim\",outcome=\"http_status\"} "))
        let deadLine = metricsAfter.split(separator: "\n").first { $0.hasPrefix("vicinotify_dead_letters{sink=\"webhook:fail\"}") }
        #expect(deadLine.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 > 0 } == true)

        p.terminate()
        await stdout.done.value
        await stderr.done.value
        await p.exited()
        await sim.stop()
        #expect(p.terminationStatus == 0)

        // Nowhere a secret: stdout, stderr, the metrics, the journal's files (retry and dead-letter errors).
        let journal = try ["journal.sqlite", "journal.sqlite-wal"].compactMap { name -> Data? in
            let path = dir.file("state/\(name)")
            return FileManager.default.fileExists(atPath: path) ? try Data(contentsOf: URL(fileURLWithPath: path)) : nil
        }
        let secrets = [Self.password, Self.secret, String(Self.secret.dropFirst(6))]
        for s in secrets {
            for (what, text) in [("stdout", stdout.text), ("stderr", stderr.text), ("metrics", metrics + metricsAfter)] {
                #expect(!text.contains(s), "a secret in \(what)")
            }
            #expect(!journal.contains { $0.range(of: Data(s.utf8)) != nil }, "a secret in the journal")
        }
        #expect(stderr.text.split(separator: "\n").allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil },
                "every log line is JSON")
        #expect(stderr.text.contains("\"source\":\"sim\""), "source names are metadata")
    }
}
