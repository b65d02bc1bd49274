import Delivery
import ArgumentParser
import CurlHTTP
import Foundation
import Journal
import Simulator
import Sinks
import Synchronization
import VicinotifyCore

/// Webhook deliveries/s and request latency against a loopback receiver, compared with what `wrk`
/// gets from the same receiver at the same concurrency and body size.
struct WebhookBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Webhook deliveries/s and latency p50/p99 at 1, 8 and 64 in flight, with and without batching, and the ratio to wrk.")

    @Option(help: "Events delivered per measurement.")
    var events = 20_000

    @Option(help: "Distinct agents (per-agent order limits how many of one agent's events are in flight).")
    var agents = 5_000

    @Option(help: "Events per request in the batching runs (1 skips them).")
    var batchEvents = 50

    @Option(name: .customLong("in-flight"), help: "Requests in flight to measure (repeat the option for several).")
    var inFlight: [Int] = [1, 8, 64]

    @Option(help: "Seconds of each wrk run (0 skips wrk).")
    var wrkSeconds = 5

    func run() async throws {
        let receiver = try await LoopbackReceiver.start(threads: 1)
        print("receiver: NIO, 1 event loop thread, \(receiver.url)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-webhook-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(directory: dir)
        let runs = (batchEvents > 1 ? [false, true] : [false]).flatMap { batched in inFlight.map { (inFlight: $0, batch: batched ? batchEvents : 1) } }
        // Cursors start at the journal's end: register every run's sink before the events exist.
        for r in runs { _ = try await journal.cursor(sink: Self.endpointName(r.inFlight, r.batch, prefix: "webhook:")) }
        let all = try await BenchFloor.fill(journal, events: events, agents: agents, idSeed: 3)
        let lastPosition = try await journal.lastPosition()
        let sampleBody = all.count > agents ? all[agents].json : []  // a status change, like most deliveries
        print("events: \(events) over \(agents) agents, \(sampleBody.count)-byte bodies, signed with one secret")
        var ours: [Int: Double] = [:]
        for run in runs {
            let r = try await measure(receiver: receiver, journal: journal, last: lastPosition, inFlight: run.inFlight, batch: run.batch)
            if run.batch == 1 { ours[run.inFlight] = r.requestsPerSecond }
            print(String(format: "%@ %2d in flight: %8.0f requests/s %8.0f events/s  request latency p50 %.2f ms p99 %.2f ms, "
                         + "CPU %.0f µs per request (sink and receiver)",
                         run.batch > 1 ? "batch \(run.batch)" : "single  ", run.inFlight, r.requestsPerSecond, r.eventsPerSecond,
                         r.p50 * 1000, r.p99 * 1000, r.cpuMicroseconds))
        }
        if wrkSeconds > 0 {
            // This process's CPU during a comparison run is the receiver's (wrk) or the receiver's and libcurl's.
            for inFlight in inFlight {
                let vicinotify = ours[inFlight] ?? 0
                let cpu0 = Memory.cpuSeconds
                let wrk = try await Self.wrk(url: receiver.url, connections: inFlight, seconds: wrkSeconds, body: sampleBody)
                if let wrk {
                    print(String(format: "wrk -t1 -c%d: %8.0f requests/s, receiver CPU %.0f µs per request; vicinotify reaches %.0f%%",
                                 inFlight, wrk.rate, Bench.cpuMicroseconds(since: cpu0, requests: wrk.requests),
                                 vicinotify / wrk.rate * 100))
                } else {
                    print("wrk not found: apt-get install wrk for the comparison")
                }
                let cpu1 = Memory.cpuSeconds
                let bare = try await CurlCeiling.measure(url: receiver.url, connections: inFlight, seconds: Double(wrkSeconds),
                                                         body: sampleBody, headers: Self.comparisonHeaders)
                let ceiling = Double(bare.requests) / bare.elapsed.seconds
                let share = wrk.map { String(format: " (%.0f%% of wrk)", ceiling / $0.rate * 100) } ?? ""
                print(String(format: "libcurl alone, %d in flight: %8.0f requests/s%@, CPU %.0f µs per request (libcurl and receiver); "
                             + "vicinotify reaches %.0f%% of it", inFlight, ceiling, share,
                             Bench.cpuMicroseconds(since: cpu1, requests: bare.requests), vicinotify / ceiling * 100))
            }
        }
        await receiver.stop()
    }

    static func endpointName(_ inFlight: Int, _ batch: Int, prefix: String = "") -> String {
        "\(prefix)bench-\(inFlight)-\(batch)"
    }

    struct Result {
        var requestsPerSecond: Double
        var eventsPerSecond: Double
        var p50: Double
        var p99: Double
        /// CPU time of this whole process (sink and receiver) per request, in microseconds.
        var cpuMicroseconds: Double
    }

    private func measure(receiver: LoopbackReceiver, journal: Journal, last: Int64, inFlight: Int,
                         batch: Int) async throws -> Result {
        let latencies = Mutex<[Double]>([])
        let secret = "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let endpoint = WebhookEndpoint(name: Self.endpointName(inFlight, batch), url: receiver.url, signer: try WebhookSigner(secrets: secret),
                                       concurrency: inFlight, batchMaxEvents: batch)
        let webhook = WebhookSink(endpoint: endpoint) { seconds, _ in latencies.withLock { $0.append(seconds) } }
        let done = CompletionSink(inner: webhook, target: Int(last))
        let queue = DeliveryQueue(sink: done, journal: journal, logger: Bench.quietLogger)
        let requests0 = receiver.requests
        let cpu0 = Memory.cpuSeconds
        let start = ContinuousClock.now
        let run = Task { await queue.run() }
        await done.finished()
        let elapsed = ContinuousClock.now - start
        run.cancel()
        await run.value
        let seconds = elapsed.seconds
        let requests = receiver.requests - requests0
        let cpu = Bench.cpuMicroseconds(since: cpu0, requests: requests)
        let (p50, p99) = Bench.percentiles(latencies.withLock { $0 }) ?? (0, 0)
        return Result(requestsPerSecond: Double(requests) / seconds, eventsPerSecond: Double(last) / seconds, p50: p50, p99: p99,
                      cpuMicroseconds: cpu)
    }

    /// The headers of a signed delivery, as the comparison runs send them.
    static let comparisonHeaders: [(name: String, value: String)] = [
        ("Content-Type", "application/json"), ("User-Agent", "vicinotify"),
        ("webhook-id", "01a20c23-c6e8-71d7-844c-3cd7f43c661c"), ("webhook-timestamp", "1795560180"),
        ("webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
    ]

    /// wrk's requests/s and request count POSTing `body` with the same headers the sink sends; `nil` without wrk.
    static func wrk(url: String, connections: Int, seconds: Int, body: [UInt8]) async throws -> (rate: Double, requests: Int)? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-wrk-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bodyFile = dir.appendingPathComponent("body.json").path
        _ = FileManager.default.createFile(atPath: bodyFile, contents: Data(body))
        let script = dir.appendingPathComponent("post.lua").path
        let lua = """
            wrk.method = "POST"
            \(comparisonHeaders.map { "wrk.headers[\"\($0.name)\"] = \"\($0.value)\"" }.joined(separator: "\n"))
            local f = io.open("\(bodyFile)", "rb")
            wrk.body = f:read("*a")
            f:close()
            """
        _ = FileManager.default.createFile(atPath: script, contents: Data(lua.utf8))
        guard let output = try await Self.output(of: ["wrk", "-t1", "-c\(connections)", "-d\(seconds)s", "-s", script, url]) else {
            return nil
        }
        let lines = output.split(separator: "\n")
        // "  123456 requests in 5.00s, 9.42MB read" and "Requests/sec:  24691.10"
        guard let total = lines.first(where: { $0.contains(" requests in ") })?.split(separator: " ").first.flatMap({ Int($0) }),
              let rate = lines.first(where: { $0.hasPrefix("Requests/sec:") })
                  .flatMap({ Double($0.dropFirst("Requests/sec:".count).trimmingCharacters(in: .whitespaces)) }) else { return nil }
        return (rate, total)
    }

    /// Runs a program found on PATH on its own thread; its standard output, or `nil` if it is not installed.
    static func output(of arguments: [String]) async throws -> String? {
        try await withCheckedThrowingContinuation { c in
            Thread.detachNewThread {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = arguments
                let out = Pipe()
                p.standardOutput = out
                p.standardError = FileHandle.nullDevice
                do { try p.run() } catch { c.resume(throwing: error); return }
                let data = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                c.resume(returning: p.terminationStatus == 127 ? nil : String(decoding: data, as: UTF8.self))
            }
        }
    }
}
