import Foundation
import TestSupport
import Testing

/// Runs the built `vicinotify` binary, as users and scripts do.
@Suite(.serialized) struct CommandLineTests {
    static var binary: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("vicinotify")
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary (or `executable`) to completion; `signalAfterLines` sends SIGTERM once stdout has that many lines.
    /// Pipes are read on their own threads: blocking reads must not occupy Swift's cooperative pool,
    /// which the in-process simulator needs to answer the binary.
    static func run(executable: URL = binary, _ args: [String], environment: [String: String] = [:],
                    signalAfterLines: Int? = nil) async throws -> Output {
        let p = try Child(executable.path, args, environment: environment)
        async let stderr = read(p.standardError!) { _ in }
        let stdout = await read(p.standardOutput!) { data in
            if let n = signalAfterLines, data.filter({ $0 == 0x0A }).count >= n { p.terminate() }
        }
        let errText = await stderr
        await p.exited()
        return Output(status: p.terminationStatus, stdout: stdout, stderr: errText)
    }

    /// Reads a child's output to its end on a thread of its own, calling `progress` with everything read so far.
    static func read(_ handle: FileHandle, progress: @escaping @Sendable (Data) -> Void) async -> String {
        await withCheckedContinuation { c in
            Thread.detachNewThread {
                var all = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    all.append(chunk)
                    progress(all)
                }
                c.resume(returning: String(decoding: all, as: UTF8.self))
            }
        }
    }

    static let types = ["vicidial.agent.logged_in", "vicidial.agent.logged_out", "vicidial.agent.status_changed",
                        "vicidial.agent.call_changed", "vicidial.agent.updated", "vicidial.source.down", "vicidial.source.up"]

    @Test func demoPrintsValidCloudEvents() async throws {
        let result = try await Self.run(["demo", "--agents", "12", "--seed", "5", "--duration", "4", "--interval", "0.2", "--tick", "0.3"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count > 20, "a lively floor in four seconds")
        var lastSequence = ""
        var state: [String: [String: Any]?] = [:]
        var seenTypes: Set<String> = []
        for line in lines {
            let e = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(Set(e.keys) == ["specversion", "id", "source", "type", "subject", "time", "sequence", "datacontenttype", "dataschema", "data"])
            #expect(e["specversion"] as? String == "1.0")
            #expect(e["datacontenttype"] as? String == "application/json")
            let id = try #require(e["id"] as? String)
            #expect(id.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil)
            #expect((e["source"] as? String)?.hasPrefix("vicidial://127.0.0.1:") == true)
            let type = try #require(e["type"] as? String)
            #expect(Self.types.contains(type))
            seenTypes.insert(type)
            #expect((e["time"] as? String)?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
            let sequence = try #require(e["sequence"] as? String)
            #expect(sequence.count == 18 && sequence > lastSequence, "sequence strictly increases and sorts as text")
            lastSequence = sequence
            let data = try #require(e["data"] as? [String: Any])
            guard type.hasPrefix("vicidial.agent.") else { continue }
            let agent = try #require(data["agent"] as? String)
            #expect(e["subject"] as? String == agent)
            let previous = data["previous"] as? [String: Any]
            let current = data["current"] as? [String: Any]
            #expect((previous == nil) == (type == "vicidial.agent.logged_in"))
            #expect((current == nil) == (type == "vicidial.agent.logged_out"))
            for side in [previous, current].compactMap({ $0 }) where side["status"] as? String != "PAUSED" {
                #expect(side["pause_code"] as? String == "", "pause_code is empty unless PAUSED")
            }
            if let known = state[agent] {
                #expect(NSDictionary(dictionary: previous ?? [:]) == NSDictionary(dictionary: known ?? [:]),
                        "previous equals the current of the agent's last event")
            }
            state[agent] = .some(current)
            #expect(data["after_gap"] is Bool)
        }
        #expect(seenTypes.isSuperset(of: ["vicidial.agent.logged_in", "vicidial.agent.status_changed"]))
        #expect(!result.stdout.contains("apipass"))
        #expect(!result.stderr.contains("apipass"))
    }

    @Test func checkConfigListsEveryProblemAndExitsTwo() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"sources": [{"name": "a", "url": "nope", "user": "u", "password": "hunter22", "colour": 1}], "extra": true}"#.utf8).write(to: bad)
        let result = try await Self.run(["check-config", "--config", bad.path])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("extra: unknown key") })
        #expect(lines.contains { $0.hasPrefix("sources[0].colour: unknown key") })
        #expect(lines.contains("sources[0].url: not an http(s) URL"))
        #expect(!result.stderr.contains("hunter22"))
        #expect(try await Self.run(["run", "--config", bad.path]).status == 2)

        let good = dir.appendingPathComponent("good.json")
        try Data(#"{"sources": [{"name": "a", "url": "http://127.0.0.1:9/vicidial/non_agent_api.php", "user": "u", "password_env": "VN_TEST_PASS"}]}"#.utf8).write(to: good)
        #expect(try await Self.run(["check-config", "--config", good.path], environment: ["VN_TEST_PASS": "x"]).status == 0)
        #expect(try await Self.run(["check-config", "--config", good.path]).status == 2, "password_env must be set")
    }

    @Test func runDeliversThenStopsCleanlyOnSIGTERM() async throws {
        let sim = try await RunningSimulator.start(agents: 4)
        defer { Task { await sim.stop() } }
        try await sim.auth(["password": "cli-secret-pw"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vn-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("config.json")
        try Data("""
            {"state_dir": "state", "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser",
             "password_env": "SIM_PASS", "interval": "100ms"}], "sinks": {"stdout": {"enabled": true}}}
            """.utf8).write(to: config)
        let once = try await Self.run(["run", "--once", "--config", config.path], environment: ["SIM_PASS": "cli-secret-pw"])
        #expect(once.status == 0)
        #expect(once.stdout.split(separator: "\n").count == 4)
        let wrong = try await Self.run(["run", "--once", "--config", config.path], environment: ["SIM_PASS": "wr0ng-pw-xyz"])
        #expect(wrong.status == 1, "--once fails when a source fails")
        #expect(wrong.stderr.contains("login_incorrect"))
        #expect(!wrong.stderr.contains("wr0ng-pw-xyz"))

        // A fresh state directory: with the first one's journal, the daemon would rightly see no change.
        let fresh = dir.appendingPathComponent("fresh.json")
        try String(decoding: try Data(contentsOf: config), as: UTF8.self).replacingOccurrences(of: "\"state\"", with: "\"state2\"")
            .write(to: fresh, atomically: true, encoding: .utf8)
        let daemon = try await Self.run(["run", "--config", fresh.path], environment: ["SIM_PASS": "cli-secret-pw"], signalAfterLines: 4)
        #expect(daemon.status == 0, "SIGTERM is a clean stop: \(daemon.stderr)")
        #expect(daemon.stdout.split(separator: "\n").count >= 4)
        #expect(!daemon.stderr.contains("cli-secret-pw"))
    }
}
