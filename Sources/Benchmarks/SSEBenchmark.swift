import ArgumentParser
import Daemon
import Dispatch
import Foundation
import Logging
import Synchronization
import VICIdial
import VicinotifyCore

/// `/v1/events` under churn: commit-to-reader latency and the daemon's CPU and memory with 1 reader and
/// with many. The simulator runs in a child process and the readers on one thread whose CPU is taken
/// out, so what is counted is the daemon's own.
struct SSEBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sse",
        abstract: "Latency p50/p99 from commit to reader, and the daemon's CPU and memory per reader, with 1 and --readers readers.")

    @Option(help: "Agents on the simulated floor.")
    var agents = 5000

    @Option(help: "Seconds between simulated change ticks.")
    var tick: Double = 0.1

    @Option(help: "Each agent changes at most every N ticks (10 ticks of 0.1 s on 5,000 agents: about 2,200 events/s, steady).")
    var spread = 10

    @Option(help: "Seconds between polls: the events of one poll reach every reader as one batch, so this sets the batch size.")
    var interval: Double = 0.1

    @Option(help: "Readers in the large run.")
    var readers = 100

    @Option(help: "Seconds to measure each run.")
    var duration: Double = 20

    func run() async throws {
        let simulator = try SimulatorProcess.start(agents: agents, tick: tick, spread: spread)
        defer { simulator.stop() }
        let port = try Bench.freeLoopbackPort()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-sse-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let source = VICIdialSource(name: "bench", url: simulator.url, user: "apiuser", password: "apipass", interval: interval, timeout: 5)
        var config = Configuration(stateDirectory: state, sources: [.init(vicidial: source, eventSource: "vicidial://bench")], sinks: [])
        config.httpListen = ("127.0.0.1", port)
        config.eventReaders = (max: readers + 2, buffer: 10_000)
        let daemon = Daemon(configuration: config, sinks: [], logger: Bench.quietLogger)
        let work = Task { _ = try await daemon.run() }
        defer { work.cancel() }
        let stamps = PublishStamps(hub: daemon.hub)
        try await Task.sleep(for: .seconds(3))  // the login burst passes; the tap is subscribed
        print("floor: \(agents) agents, a change tick every \(tick)s (each agent every \(spread)), polled every \(interval)s; "
              + "\(Int(duration))s per run")
        var results: [Int: RunResult] = [:]
        for n in [1, readers] {
            let r = try await measure(readers: n, port: port, stamps: stamps)
            results[n] = r
            let latency = Bench.percentiles(r.latencies)
            print(String(format: "%3d reader%@: %6.0f events/s to each, latency p50 %.2f ms p99 %.2f ms, daemon CPU %.1f%% of a core, "
                         + "RSS %@, %d gaps, %d cut off",
                         n, n == 1 ? " " : "s", r.eventsPerSecond, (latency?.p50 ?? .nan) * 1000, (latency?.p99 ?? .nan) * 1000,
                         r.cpuShare * 100, Memory.mb(r.rss), r.gaps, r.cutOff))
        }
        if let one = results[1], let many = results[readers], readers > 1 {
            print(String(format: "CPU with %d readers: %.2fx one reader's; %.3f%% of a core per extra reader; memory per extra reader %@",
                         readers, many.cpuShare / max(one.cpuShare, 1e-9), (many.cpuShare - one.cpuShare) / Double(readers - 1) * 100,
                         Memory.mb(max(0, many.rss - one.rss) / (readers - 1))))
        }
    }

    struct RunResult {
        var eventsPerSecond = 0.0, cpuShare = 0.0
        var rss = 0, gaps = 0, cutOff = 0
        var latencies: [Double] = []
    }

    private func measure(readers n: Int, port: Int, stamps: PublishStamps) async throws -> RunResult {
        let arrivals = Mutex<[(Int64, UInt64)]>([])
        let pool = try SSEReaderPool(port: port, path: "/v1/events", count: n, measureEvery: max(1, n / 10),
                                 threads: n > 1 ? 2 : 1) { id, arrival, _ in
            arrivals.withLock { $0.append((id, arrival)) }
            return nil
        }
        try await Task.sleep(for: .seconds(2))  // connected and live
        let cpu0 = Memory.cpuSeconds, readerCPU0 = pool.threadCPUSeconds, wall0 = Date()
        let frames0 = pool.readers.map(\.frames).reduce(0, +)
        arrivals.withLock { $0.removeAll() }
        var rss = 0
        let end = Date().addingTimeInterval(duration)
        while Date() < end {
            try await Task.sleep(for: .milliseconds(250))
            rss = max(rss, Memory.currentRSS)
        }
        let frames = pool.readers.map(\.frames).reduce(0, +) - frames0
        let wall = Date().timeIntervalSince(wall0)
        let processCPU = Memory.cpuSeconds - cpu0, readerCPU = pool.threadCPUSeconds - readerCPU0
        pool.stop()
        var r = RunResult()
        // The tap that stamps publications costs a dictionary insert per event: left in, a slight overcount.
        r.cpuShare = max(0, processCPU - readerCPU) / wall
        r.eventsPerSecond = Double(frames) / Double(n) / wall
        r.rss = rss
        r.gaps = pool.readers.map(\.gaps).reduce(0, +)
        r.cutOff = pool.readers.filter { !$0.notices.isEmpty }.count
        r.latencies = arrivals.withLock { $0 }.compactMap { id, arrival in stamps.published(id).map { Double(arrival &- $0) / 1e9 } }
        return r
    }
}

/// When the hub published each position, read from a subscription of its own (the daemon stamps each
/// commit's batch as it publishes it, so this reader's own lag does not count).
final class PublishStamps: Sendable {
    private final class Table: Sendable {
        let stamps = Mutex<[Int64: UInt64]>([:])
    }

    private let table = Table()
    private let task: Task<Void, Never>

    init(hub: EventHub) {
        let subscription = hub.subscribe()
        let table = self.table
        task = Task {
            guard let subscription else { return }
            for await batch in subscription.batches {
                table.stamps.withLock { s in for e in batch.events { s[e.position] = batch.publishedAt } }
                subscription.taken(batch)
            }
        }
    }

    deinit { task.cancel() }

    func published(_ position: Int64) -> UInt64? { table.stamps.withLock { $0[position] } }
}
