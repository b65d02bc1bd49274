import ArgumentParser
import Delivery
import Dispatch
import Foundation
import Journal
import NATS
import Sinks
import VicinotifyCore

/// Events/s into a file-backed JetStream stream through the NATS sink (journal, delivery queue, awaited
/// acknowledgments) at 1, 64 and 256 in flight, beside bare libnats publishing the same payloads; and the
/// publish-to-acknowledgment latency.
struct NATSBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nats",
        abstract: "NATS sink events/s at 1, 64 and 256 in flight against bare libnats, and publish-to-ack latency p50/p99.")

    @Option(help: "A NATS server with JetStream (default: start /usr/sbin/nats-server -js on a free 127.0.0.1 port).")
    var nats: String?

    @Option(help: "Events per run.")
    var events = 20_000

    @Option(name: .customLong("in-flight"), help: "Acknowledgments awaited at once (repeat the option for several).")
    var inFlight: [Int] = [1, 64, 256]

    func run() async throws {
        let server = nats == nil ? try NATSServerChild.start() : nil
        defer { server?.stop() }
        let url = nats ?? server!.url
        print("server: \(url)\(server == nil ? "" : " (nats-server -js, file storage in \(server!.store))")")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-nats-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(directory: dir)
        for n in inFlight { _ = try await journal.cursor(sink: "nats-\(n)") }
        let all = try await BenchFloor.fill(journal, events: events, agents: 5_000, idSeed: 9)
        print("events: \(all.count) over 5000 agents, \(all.map(\.json.count).reduce(0, +) / max(1, all.count))-byte payloads, file-backed stream, 1 replica")
        let admin = try await NATSConnection.connect(NATSConnectionOptions(servers: [url]))
        for n in inFlight {
            try await admin.ensureStream(NATSStreamConfiguration(name: "BENCH\(n)", subjects: ["bench\(n).>"]))
            try await admin.ensureStream(NATSStreamConfiguration(name: "BARE\(n)", subjects: ["bare\(n).>"]))
            let sinkRate = try await sink(journal: journal, url: url, inFlight: n, count: all.count)
            let bare = try await NATSCeiling.run(url: url, payloads: all.map { ("bare\(n).bench.agent.\($0.subject)", "bare-" + $0.id, $0.json) },
                                                 maxPending: n)
            let bareRate = Double(all.count) / bare
            let latency = try await latency(url: url, inFlight: n, payloads: Array(all.prefix(min(all.count, 5_000))))
            print(String(format: "%3d in flight: sink %7.0f events/s, bare libnats %7.0f/s (%.0f %%); publish-to-ack p50 %.2f ms p99 %.2f ms",
                         n, sinkRate, bareRate, sinkRate / bareRate * 100, latency.p50 * 1000, latency.p99 * 1000))
        }
        await admin.close()
    }

    /// The sink's events/s from the journal into the stream, through the delivery queue, as in the daemon.
    private func sink(journal: Journal, url: String, inFlight n: Int, count: Int) async throws -> Double {
        var c = NatsSinkConfiguration(connection: NATSConnectionOptions(servers: [url]))
        c.maxInFlight = n
        c.subjects.agent = "bench\(n).{source}.agent.{agent}"
        c.subjects.source = "bench\(n).{source}.source"
        let done = CompletionSink(inner: NatsSink(configuration: c, logger: Bench.quietLogger), target: count, name: "nats-\(n)")
        let queue = DeliveryQueue(sink: done, journal: journal, logger: Bench.quietLogger, batchSize: max(500, done.batching.waitFor))
        let start = ContinuousClock.now
        let run = Task { await queue.run() }
        await done.finished()
        let seconds = (ContinuousClock.now - start).seconds
        run.cancel()
        await run.value
        return Double(count) / seconds
    }

    /// Publish-to-acknowledgment times with `n` publishes awaiting their acknowledgment at once.
    private func latency(url: String, inFlight n: Int, payloads: [EncodedEvent]) async throws -> (p50: Double, p99: Double) {
        let nc = try await NATSConnection.connect(NATSConnectionOptions(servers: [url]), maxInFlight: n)
        // `n` publishers, each awaiting one acknowledgment at a time: `n` in flight.
        let samples = await withTaskGroup(of: [Double].self) { group in
            for k in 0..<n {
                group.addTask {
                    var mine: [Double] = []
                    for i in stride(from: k, to: payloads.count, by: n) {
                        let e = payloads[i]
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        let r = await nc.publish([.init(subject: "bench\(n).lat.\(e.subject)", id: "lat-" + e.id, data: e.json)], timeout: 10)
                        if case .success = r[0] { mine.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) }
                    }
                    return mine
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        await nc.close()
        return Bench.percentiles(samples) ?? (0, 0)
    }
}

/// `nats-server -js` in a child process on a free 127.0.0.1 port, its store in a temporary folder.
struct NATSServerChild {
    let process: Process
    let url: String
    let store: String

    static func start() throws -> NATSServerChild {
        let port = try Bench.freeLoopbackPort()
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-nats-store-\(getpid())").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
        p.arguments = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let child = NATSServerChild(process: p, url: "nats://127.0.0.1:\(port)", store: store)
        for _ in 0..<200 {
            if Self.listening(port) { return child }
            usleep(50_000)
        }
        child.stop()
        throw ValidationError("nats-server did not listen on 127.0.0.1:\(port) (is the nats-server package installed?)")
    }

    /// Whether `/proc/net/tcp` shows 127.0.0.1:`port` listening.
    static func listening(_ port: Int) -> Bool {
        let text = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
        return text.contains(String(format: ":%04X 00000000:0000 0A", port))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: store)
    }
}
