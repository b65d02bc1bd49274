import Foundation
import Synchronization
import TestSupport
import Testing

/// One daemon per `state_dir`, the read-only commands beside it, and SIGHUP that leaves it running.
@Suite struct StateDirectoryTests {
    /// A running `vicinotify run` whose standard output and error are collected as they come.
    final class Daemon: Sendable {
        let process: Process
        private final class Collected: Sendable { let data = Mutex(Data()) }
        private let out = Collected()
        private let err = Collected()
        private let reading: Task<Void, Never>

        init(_ args: [String]) throws {
            process = Process()
            process.executableURL = CommandLineTests.binary
            process.arguments = args
            process.standardInput = FileHandle.nullDevice
            let o = Pipe(), e = Pipe()
            process.standardOutput = o
            process.standardError = e
            try process.run()
            let (out, err) = (self.out, self.err)
            reading = Task {
                async let a = CommandLineTests.read(o) { d in out.data.withLock { $0 = d } }
                async let b = CommandLineTests.read(e) { d in err.data.withLock { $0 = d } }
                _ = await (a, b)
            }
        }

        var lines: [String] { out.data.withLock { String(decoding: $0, as: UTF8.self) }.split(separator: "\n").map(String.init) }
        var stderr: String { err.data.withLock { String(decoding: $0, as: UTF8.self) } }

        /// Waits (at most `seconds`) until `condition` holds.
        func wait(seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return condition()
        }

        func finish() async -> Int32 {
            await process.exited()
            await reading.value
            return process.terminationStatus
        }
    }

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
        let first = try Daemon(["run", "--config", config])
        #expect(await first.wait { first.lines.count >= 3 }, "the first daemon delivers the floor")

        let second = try await CommandLineTests.run(["run", "--config", config])
        #expect(second.status == 1)
        #expect(second.stderr.contains(dir.file("state")) && second.stderr.contains("PID \(first.process.processIdentifier)"),
                "the refusal names the state_dir and the holder: \(second.stderr)")
        #expect(second.stdout.isEmpty, "the second daemon journals and prints nothing")
        let check = try await CommandLineTests.run(["check-config", "--config", config])
        #expect(check.status == 0, "check-config works beside a running daemon: \(check.stderr)")
        let dead = try await CommandLineTests.run(["dead-letters", "list", "--config", config])
        #expect(dead.status == 0, "dead-letters works beside a running daemon: \(dead.stderr)")

        kill(first.process.processIdentifier, SIGHUP)
        #expect(await first.wait { first.stderr.contains("SIGHUP") }, "SIGHUP is logged")
        try await sim.set("agent001", ["status": "PAUSED"])
        #expect(await first.wait { first.lines.count >= 4 }, "still polling and delivering after SIGHUP")
        #expect(first.process.isRunning)
        first.process.terminate()
        #expect(await first.finish() == 0, "SIGTERM stays a clean stop")
        let ids = first.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
        #expect(Set(ids).count == ids.count && ids.count == 4, "each change once: \(first.lines)")
    }
}
