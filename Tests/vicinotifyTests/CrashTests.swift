import Foundation
import Journal
import TestSupport
import Testing

/// kill -9 at random moments while the floor keeps changing: nothing may be lost, invented or reordered.
@Suite struct CrashTests {
    @Test func sigkillTwentyTimesLosesNothing() async throws {
        let sim = try await RunningSimulator.start(agents: 12, seed: 21)
        defer { Task { await sim.stop() } }
        let dir = TemporaryDirectory("vn-crash")
        defer { dir.remove() }
        let output = dir.file("events.ndjson")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        try Data("""
            {"state_dir": "state", "journal": {"keep_events": 1000000},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass", "interval": "100ms"}]}
            """.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))

        func start(once: Bool = false) throws -> Child {
            try Child(CommandLineTests.binary.path, ["run", "--config", dir.file("config.json"), "--log-level", "error"] + (once ? ["--once"] : []),
                      stdout: .append(output), stderr: .null)
        }

        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let p = try start()
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                try await sim.control(.post, "/sim/tick", ["count": 1])
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...80, using: &rng)))
            }
            p.send(SIGKILL)
            await p.exited()
        }

        // One last run, no more changes: one poll, then everything undelivered is delivered and it exits.
        let truth = try await sim.agents()
        let last = try start(once: true)
        await last.exited()
        #expect(last.terminationStatus == 0)
        let (events, floor) = try Self.read(output)
        #expect(Self.same(floor, truth), "the stream rebuilds the simulator's final floor: no change missed")

        // Every journaled event reached the sink, and the sink got nothing the journal does not have.
        let journaled = Set(try await Journal(directory: dir.file("state")).allEvents().map(\.event.id))
        let delivered = Set(events.compactMap { $0["id"] as? String })
        #expect(journaled.count > 40)
        #expect(journaled == delivered)
    }

    /// Unique events (duplicates must be identical), checked for per-agent order and chaining, and the
    /// floor they rebuild.
    static func read(_ path: String) throws -> ([[String: Any]], [String: [String: Any]]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var byID: [String: String] = [:]
        var unique: [[String: Any]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let e = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let id = e["id"] as? String else { continue }  // a line cut by SIGKILL
            if let seen = byID[id] {
                #expect(seen == String(line), "a redelivered event is byte-identical")
                continue
            }
            byID[id] = String(line)
            unique.append(e)
        }
        // Sequence order across the whole source, not only per agent (a session change once printed 95 before 94).
        let sequences = unique.map { $0["sequence"] as! String }
        #expect(sequences == sequences.sorted(), "the source's events reach stdout in sequence order across kill -9 restarts")
        var lastSequence: [String: String] = [:]
        for e in unique {
            let subject = e["subject"] as! String, sequence = e["sequence"] as! String
            #expect(sequence > lastSequence[subject] ?? "", "\(subject): delivered in order")
            lastSequence[subject] = sequence
        }
        unique.sort { ($0["sequence"] as! String) < ($1["sequence"] as! String) }
        var floor: [String: [String: Any]] = [:]
        for e in unique {
            guard let data = e["data"] as? [String: Any], let agent = data["agent"] as? String else { continue }
            let previous = data["previous"] as? [String: Any]
            #expect(NSDictionary(dictionary: previous ?? [:]) == NSDictionary(dictionary: floor[agent] ?? [:]),
                    "\(agent): previous equals the last current")
            floor[agent] = data["current"] as? [String: Any]
        }
        return (unique, floor)
    }

    static func same(_ floor: [String: [String: Any]], _ truth: [[String: Any]]) -> Bool {
        guard floor.count == truth.count else { return false }
        for t in truth {
            guard let user = t["user"] as? String, let f = floor[user] else { return false }
            for key in ["status", "sub_status", "campaign_id", "calls_today", "lead_id", "callerid"] {
                guard "\(f[key] ?? "")" == "\(t[key] ?? "")" else { return false }
            }
        }
        return true
    }
}
