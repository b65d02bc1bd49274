import CurlHTTP
import Foundation
import TestSupport
import Testing

/// The real binary against hostile answers and a careless operator.
@Suite(.serialized) struct HardeningCommandTests {
    /// A running `vicinotify` with its output collected.
    struct Daemon {
        let process: Child
        let stdout: OperationsTests.Collector
        let stderr: OperationsTests.Collector

        /// `shell` runs the binary through /bin/sh (for `ulimit`): `$0` is the binary, `"$@"` the arguments.
        static func start(_ args: [String], environment: [String: String] = [:], shell: String? = nil) throws -> Daemon {
            let (executable, arguments) = shell.map { ("/bin/sh", ["-c", $0, CommandLineTests.binary.path] + args) }
                ?? (CommandLineTests.binary.path, args)
            let child = try RunningChild([executable] + arguments, environment: environment)
            return Daemon(process: child.process, stdout: child.stdout, stderr: child.stderr)
        }

        /// The process's peak resident set (VmHWM), in bytes.
        var peakRSS: Int {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }

        /// Waits for a line of stderr (or stdout) containing `needle`, at most `timeout` seconds.
        func line(_ needle: String, stdout useStdout: Bool = false, timeout: Double = 20) async -> String? {
            let collector = useStdout ? stdout : stderr
            return await withTaskGroup(of: String?.self) { group in
                group.addTask { await collector.line(containing: needle) }
                group.addTask { try? await Task.sleep(for: .seconds(timeout)); return nil }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }

        func stop() async -> Int32 {
            process.terminate()
            await process.exited()
            return process.terminationStatus
        }
    }

    func write(_ dir: TemporaryDirectory, _ name: String, _ text: String) -> String {
        _ = FileManager.default.createFile(atPath: dir.file(name), contents: Data(text.utf8))
        return dir.file(name)
    }

    @Test func memoryStaysBoundedUnderA1GBAnswerAndAnEndlessBody() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        defer { Task { await sim.stop() } }
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/endless/vicidial/non_agent_api.php", ["endless": true])
        try await receiver.behave("/huge", ["stream_mb": 1024, "status": 503])
        let dir = TemporaryDirectory("vn-mem")
        defer { dir.remove() }
        _ = write(dir, "hooks.json", #"{"endpoints": [{"name": "huge", "url": "\#(receiver.url("/huge"))", "timeout": "30s"}]}"#)
        let config = write(dir, "config.json", """
            {"state_dir": "state", "sinks": {"webhooks_file": "hooks.json"},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass"},
                         {"name": "flood", "url": "\(receiver.url("/endless/vicidial/non_agent_api.php"))", "user": "apiuser",
                          "password": "apipass", "timeout": "30s"}]}
            """)
        let d = try Daemon.start(["run", "--config", config])
        #expect(await d.line("reason=too_large") != nil, "the endless body is a failed poll of its own kind")
        #expect(await d.line("sink=webhook:huge") != nil, "the 1 GB answer was received and retried")
        #expect(await d.line("vicidial.agent.logged_in", stdout: true) != nil)
        let peak = d.peakRSS
        #expect(await d.stop() == 0)
        #expect(peak > 0 && peak < 200 << 20, "peak RSS \(peak >> 20) MB")
    }

    @Test func pollingGoesOnWithHundredsOfIdleConnectionsUnderALowFileLimit() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        defer { Task { await sim.stop() } }
        let dir = TemporaryDirectory("vn-fds")
        defer { dir.remove() }
        let config = write(dir, "config.json", """
            {"state_dir": "state", "http": {"listen": "127.0.0.1:0"},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass", "interval": "100ms"}]}
            """)
        let d = try Daemon.start(["run", "--config", config], shell: #"ulimit -n 128 && exec "$0" "$@""#)
        let serving = try #require(await d.line("serving /metrics"))
        let port = try #require(Int(serving.split(separator: ":").last?.prefix { $0.isNumber } ?? ""))
        #expect(await d.line("agent003", stdout: true) != nil)
        let http = CurlTransport()
        let list = try await http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/agents?status=PAUSED,READY,INCALL,QUEUE"))
        #expect(list.status == 200 && list.header("Content-Type") == "application/json")
        let agents = (try JSONSerialization.jsonObject(with: Data(list.body)) as? [String: Any])?["agents"] as? [[String: Any]]
        #expect(agents?.count == 3, "the floor over HTTP")
        #expect(try await http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/agents/sim/agent002")).status == 200)
        #expect(try await http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/agents/sim/nobody")).status == 404)
        var sockets: [Int32] = []
        defer { for s in sockets { close(s) } }
        for _ in 0..<300 {
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                                   sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if ok == 0 { sockets.append(s) } else { close(s) }
        }
        #expect(sockets.count >= 200, "the kernel accepted the connections")
        try await sim.set("agent002", ["status": "INCALL", "lead_id": 4242, "call_type": "auto"])
        #expect(await d.line("4242", stdout: true) != nil, "polling and journaling went on")
        #expect(!d.stderr.text.contains("unable to open database file"))
        #expect(await d.stop() == 0)
    }

    @Test func runOnceFailsWhenNothingCouldBeJournaled() async throws {
        let sim = try await RunningSimulator.start(agents: 3000)
        defer { Task { await sim.stop() } }
        let dir = TemporaryDirectory("vn-once")
        defer { dir.remove() }
        let config = write(dir, "config.json", """
            {"state_dir": "state", "journal": {"max_mb": 1},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass"}]}
            """)
        let d = try Daemon.start(["run", "--once", "--config", config])
        await d.process.exited()
        #expect(d.process.terminationStatus == 1, "3000 logins do not fit in 1 MB: \(d.stderr.text.suffix(300))")
    }

    @Test(arguments: ["nan", "1e20", "-1"])
    func anAbsurdDrainTimeoutIsRefused(_ value: String) async throws {
        let r = try await CommandLineTests.run(["run", "--config", "/nonexistent.json", "--drain-timeout", value])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--drain-timeout"))
    }
}
