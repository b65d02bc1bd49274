import Foundation
import Journal
import TestSupport
import Testing

/// `vicinotify tail` and `vicinotify agents` against a running daemon, as an operator uses them.
@Suite(.serialized) struct DaemonTailTests {
    typealias Running = HardeningCommandTests.Daemon

    @Test func tailFollowsTheDaemonAcrossARestartWithNoGapAndNoDuplicate() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        defer { Task { await sim.stop() } }
        let dir = TemporaryDirectory("vn-tail")
        defer { dir.remove() }
        let port = freeLoopbackPort()
        _ = FileManager.default.createFile(atPath: dir.file("config.json"), contents: Data("""
            {"state_dir": "state", "http": {"listen": "127.0.0.1:\(port)"}, "sinks": {"stdout": {"enabled": false}},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass", "interval": "100ms"}]}
            """.utf8))
        var daemon = try Running.start(["run", "--config", dir.file("config.json")])
        #expect(await daemon.line("serving /metrics") != nil)
        let tail = try Running.start(["tail", "--config", dir.file("config.json"), "--since", "0", "--json"])
        defer { _ = Task { await tail.stop() } }
        #expect(await tail.line("agent003", stdout: true) != nil, "caught up from the start")

        let agents = try await CommandLineTests.run(["agents", "--url", "http://127.0.0.1:\(port)"])
        #expect(agents.status == 0)
        let list = try JSONSerialization.jsonObject(with: Data(agents.stdout.utf8)) as? [String: Any]
        #expect((list?["agents"] as? [Any])?.count == 3, "agents prints the floor (JSON into a pipe)")

        #expect(await daemon.stop() == 0)
        try await sim.set("agent001", ["status": "READY"])  // while the daemon is down
        daemon = try Running.start(["run", "--config", dir.file("config.json")])
        #expect(await tail.stdout.line(containing: "status_changed", occurrence: 1) != nil, "resumed after the restart")
        try await sim.set("agent002", ["status": "READY"])
        #expect(await tail.stdout.line(containing: "status_changed", occurrence: 2) != nil)
        #expect(await daemon.stop() == 0)
        _ = await tail.stop()

        let printed = tail.stdout.text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
        }
        let journaled = try await Journal(directory: dir.file("state")).allEvents().map(\.event.id)
        #expect(printed == journaled, "every journaled event once, in journal order")
        #expect(tail.stderr.text.contains("reconnecting"))
    }
}
