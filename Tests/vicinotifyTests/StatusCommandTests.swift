import Foundation
import TestSupport
import Testing

/// `vicinotify status` against a running daemon: its source, a sink whose endpoint is down (a backlog,
/// an oldest undelivered event, retries), and exit 1 once the source stops answering.
@Suite struct StatusCommandTests {
    @Test func statusShowsEachSourceAndEachSinksBacklog() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        let dir = TemporaryDirectory("vn-status")
        defer { dir.remove() }
        let port = freeLoopbackPort(), dead = freeLoopbackPort()
        try Data("""
            {"endpoints": [{"name": "crm", "url": "http://127.0.0.1:\(dead)/hook", "secret": "whsec_c3RhdHVzLXRlc3Qtc2VjcmV0LTAxMjM0NTY3",
                            "retry": {"initial": "50ms", "max_delay": "100ms"}}]}
            """.utf8).write(to: URL(fileURLWithPath: dir.file("hooks.json")))
        try ExamplesTests.config(dir, sim: sim, port: port, sinks: #"{"stdout": {"enabled": false}, "webhooks_file": "hooks.json"}"#)
        let daemon = try ExamplesTests.daemon(dir)
        #expect(await daemon.stderr.line(containing: "vicinotify started") != nil)

        var report: [String: Any] = [:]
        for _ in 0..<100 {
            let out = try await CommandLineTests.run(["status", "--url", "http://127.0.0.1:\(port)", "--json"])
            report = (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]) ?? [:]
            let crm = (report["sinks"] as? [[String: Any]])?.first
            if (crm?["backlog"] as? Int ?? 0) >= 3, (crm?["retried"] as? Int ?? 0) > 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let source = try #require((report["sources"] as? [[String: Any]])?.first, "\(report)")
        #expect(source["name"] as? String == "sim" && source["up"] as? Bool == true && source["agents"] as? Int == 3, "\(source)")
        let crm = try #require((report["sinks"] as? [[String: Any]])?.first { ($0["name"] as? String ?? "").hasSuffix("crm") }, "\(report)")
        #expect((crm["backlog"] as? Int ?? 0) >= 3 && (crm["retried"] as? Int ?? 0) > 0 && crm["delivered"] as? Int == 0, "\(crm)")
        #expect(report["ready"] as? Bool == true)

        await sim.stop()
        let sourceLine = { (out: String) in out.split(separator: "\n").first { $0.hasPrefix("sim ") } }
        var down = CommandLineTests.Output(status: 0, stdout: "", stderr: "")
        for _ in 0..<100 {
            down = try await CommandLineTests.run(["status", "--url", "http://127.0.0.1:\(port)"])
            // Readiness can go before the source is counted down (a stale poll is not ready); wait for both.
            if down.status == 1, sourceLine(down.stdout)?.split(separator: " ")[1] == "NO" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(down.status == 1, "not ready once the source is down")
        let line = try #require(sourceLine(down.stdout), "\(down.stdout)")
        #expect(line.split(separator: " ")[1] == "NO", "\(line)")
        #expect(down.stdout.contains("NOT READY"))
        #expect(!down.stdout.contains("whsec_"), "no secret in the output")
        await daemon.stop()
    }
}
