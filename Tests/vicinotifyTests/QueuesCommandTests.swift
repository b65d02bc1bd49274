import Foundation
import TestSupport
import Testing

/// `vicinotify queues` against the running daemon: the table a supervisor reads, with "-" where the API
/// cannot tell.
@Suite struct QueuesCommandTests {
    @Test func queuesPrintsEachWatchedQueue() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        try await sim.control(.post, "/sim/queues/SUPPORT", ["waiting": 2, "oldest_wait": 30])
        let dir = TemporaryDirectory("vn-queues")
        defer { dir.remove() }
        let port = freeLoopbackPort()
        try Data("""
            {"state_dir": "state", "sinks": {"stdout": {"enabled": false}}, "http": {"listen": "127.0.0.1:\(port)"},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass", "interval": "200ms",
                          "queues": {"in_groups": ["SUPPORT", "BILLING"]}}]}
            """.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))
        let daemon = try RunningChild([CommandLineTests.binary.path, "run", "--config", dir.file("config.json")])
        let (p, err) = (daemon.process, daemon.stderr)
        defer { p.terminate() }
        #expect(await err.line(containing: "vicinotify started") != nil)
        // The first poll's queues, bounded: the table has both rows once they are read.
        var table = ""
        for _ in 0..<100 where !(table.contains("SUPPORT") && table.contains("BILLING")) {
            let out = try await CommandLineTests.run(["queues", "--url", "http://127.0.0.1:\(port)", "--json"])
            if out.stdout.contains("BILLING") { table = try await CommandLineTests.run(["queues", "--url", "http://127.0.0.1:\(port)", "--table"]).stdout }
            else { try await Task.sleep(for: .milliseconds(100)) }
        }
        let support = try #require(table.split(separator: "\n").first { $0.contains("SUPPORT") }, "\(table)")
        #expect(support.split(separator: " ").map(String.init) == ["sim", "SUPPORT", "in_group", "2", "-", "0", "0", "3", "-", "-"], "\(support)")
        p.terminate()
        await p.exited()
        await sim.stop()
    }
}
