import ArgumentParser
import CurlHTTP
import Daemon
import Foundation
import Logging
import VICIdial
import VicinotifyCore

/// The poller's own cost on a steady floor: the simulator runs in a child process, so only the poller's
/// CPU time and memory are counted.
struct FloorBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor",
        abstract: "CPU and memory of the poller on a simulated floor polled every --interval.")

    @Option(help: "Agents on the simulated floor.")
    var agents = 5000

    @Option(help: "Seconds to measure.")
    var duration: Double = 30

    @Option(help: "Seconds between polls.")
    var interval: Double = 1

    @Option(help: "Seconds between simulated changes (each tick changes a share of the floor).")
    var tick: Double = 1

    @Option(help: "In-groups watched besides the floor (one in_group_status request each per poll; 0: none).")
    var queues = 0

    @Option(help: "Seconds between reads of the in-groups (0: every poll; default: the configuration's, ten in-groups a second).")
    var queueInterval: Double?

    func run() async throws {
        let simulator = try SimulatorProcess.start(agents: agents, tick: tick)
        defer { simulator.stop() }
        let url = simulator.url

        let counter = CountingSink()
        var source = VICIdialSource(name: "bench", url: url, user: "apiuser", password: "apipass", interval: interval, timeout: 5)
        if queues > 0 {
            let ids = (1...queues).map { String(format: "IG%03d", $0) }
            let control = CurlTransport()
            let base = url.replacingOccurrences(of: "/vicidial/non_agent_api.php", with: "")
            for (i, id) in ids.enumerated() {
                let body = Array(#"{"waiting": \#(i % 5), "oldest_wait": \#(i * 3)}"#.utf8)
                _ = try await control.perform(HTTPRequest(method: .post, url: base + "/sim/queues/" + id, body: body))
            }
            source.queues = QueueSelection(inGroups: ids, interval: queueInterval ?? QueueSelection.apiDefaultInterval(inGroups: queues))
        }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let config = Configuration(stateDirectory: state, sources: [.init(vicidial: source, eventSource: "vicidial://bench")])
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let daemon = Daemon(configuration: config, sinks: [counter], logger: logger)
        let work = Task { _ = try await daemon.run() }
        // Let the initial login burst pass, then measure the steady state.
        try await Task.sleep(for: .seconds(3))
        let cpu0 = Memory.cpuSeconds, wall0 = Date(), events0 = await counter.count
        var rssMax = 0
        let end = Date().addingTimeInterval(duration)
        while Date() < end {
            try await Task.sleep(for: .milliseconds(250))
            rssMax = max(rssMax, Memory.currentRSS)
        }
        let cpu = Memory.cpuSeconds - cpu0, wall = Date().timeIntervalSince(wall0), events = await counter.count - events0
        work.cancel()
        try await work.value
        print("floor: \(agents) agents\(queues > 0 ? " and \(queues) in-groups" : ""), poll every \(interval)s, \(Int(wall))s measured")
        print(String(format: "poller CPU: %.2f%% of one core (%.3f s CPU in %.1f s)", cpu / wall * 100, cpu, wall))
        print("poller RSS: \(Memory.mb(rssMax)) max during the run, peak \(Memory.mb(Memory.peakRSS))")
        print(String(format: "events: %d (%.0f/s)", events, Double(events) / wall))
    }
}

/// Counts what it is given and drops it.
actor CountingSink: EventSink {
    nonisolated let name = "count"
    private(set) var count = 0
    func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        count += batch.count
        return Array(repeating: .delivered, count: batch.count)
    }
}
