import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

@Suite struct JournalCapTests {
    /// At `journal.max_mb` with every sink caught up, the delivered history goes and polling resumes.
    @Test func pollingResumesAtTheJournalCap() async throws {
        let sim = try await RunningSimulator.start(agents: 200, seed: 4)
        let s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 5)
        let config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: s, eventSource: "vicidial://sim")],
                                   journalMaxBytes: 1 << 20)
        let sink = RecordingSink()
        let logs = CapturedLogs()
        let daemon = Daemon(configuration: config, sinks: [sink], logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { $0.count >= 200 })
        var bytes = 0
        for _ in 0..<40 {
            let before = await sink.events.count
            try await sim.control(.post, "/sim/tick", ["count": 1])
            #expect(await sink.wait { $0.count > before }, "polling paused at the cap")
            bytes = await sink.events.reduce(0) { $0 + $1.json.count }
        }
        run.cancel()
        _ = try await run.value
        await sim.stop()
        #expect(bytes > 2 << 20, "more than twice the cap went through: \(bytes) bytes")
        #expect(logs.text.contains("journal.max_mb reached"))
        let sequences = await sink.events.map(\.sequence)
        #expect(sequences == Array(1...UInt64(sequences.count)), "no gap, no duplicate")
    }
}
