import Foundation
import TestSupport
import Testing

/// One daemon per `state_dir`, the read-only commands beside it, and SIGHUP that leaves it running.
@Suite struct StateDirectoryTests {
    @Test func aSecondDaemonIsRefusedAndTheFirstSurvivesSIGHUP() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        defer { Task { await sim.stop() } }
        let dir = TemporaryDirectory("vn-lock")
        defer { dir.remove() }
        let config = dir.file("config.json")
        try Data("""
            {"state_dir": "state", "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser",
             "password": "apipass", "interval": "100ms"}]}
            """.utf8).write(to: URL(fileURLWithPath: config))
        let first = try HardeningCommandTests.Daemon.start(["run", "--config", config])
        #expect(await first.line("agent003", stdout: true) != nil, "the first daemon delivers the floor")
        let started = await first.line("vicinotify started") ?? ""
        #expect(started.contains("sim (logged_in_agents, every 100ms)") && started.contains("stdout"), "the start says what runs: \(started)")

        let second = try await CommandLineTests.run(["run", "--config", config])
        #expect(second.status == 1)
        #expect(second.stderr.contains(dir.file("state")) && second.stderr.contains("PID \(first.process.processIdentifier)"),
                "the refusal names the state_dir and the holder: \(second.stderr)")
        #expect(second.stdout.isEmpty, "the second daemon journals and prints nothing")
        let check = try await CommandLineTests.run(["check-config", "--config", config])
        #expect(check.status == 0, "check-config works beside a running daemon: \(check.stderr)")
        let dead = try await CommandLineTests.run(["dead-letters", "list", "--config", config])
        #expect(dead.status == 0, "dead-letters works beside a running daemon: \(dead.stderr)")

        // The shipped unit restarts on failure only: a SIGHUP that stopped the daemon with exit 0 left it down.
        kill(first.process.processIdentifier, SIGHUP)
        #expect(await first.line("SIGHUP ignored") != nil)
        try await sim.set("agent001", ["status": "PAUSED", "pause_code": "HUPTST"])
        #expect(await first.line("HUPTST", stdout: true) != nil, "still polling and delivering after SIGHUP")
        #expect(await first.stop() == 0, "SIGTERM stays a clean stop")
        let lines = first.stdout.text.split(separator: "\n")
        let ids = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
        #expect(Set(ids).count == ids.count && ids.count == 4, "each change once: \(lines)")
    }
}
