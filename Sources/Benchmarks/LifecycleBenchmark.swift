import ArgumentParser
import Daemon
import Foundation
import Sinks
import VicinotifyCore

/// Opens and drops every sink of a configuration, each `cycles` times, and prints the process's thread
/// count before and after: a sink that keeps a thread (or a library's thread) after it is gone leaks it.
/// A separate process, so that nothing else running moves the count.
struct LifecycleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifecycle",
        abstract: "Threads before and after opening, using and dropping each configured sink N times (one JSON line per sink).")

    @Option(help: "A configuration whose sinks are opened and dropped.")
    var config: String

    @Option(help: "Open-use-drop cycles per sink.")
    var cycles = 10

    @Flag(help: "Call close() before dropping (the daemon's way); without it the sink is only dropped.")
    var close = false

    func run() async throws {
        let configuration = try Configuration.load(path: config)
        let context = SinkContext(logger: Bench.quietLogger)
        var tracker = SourceTracker(name: "bench", eventSource: "vicidial://bench", redactedURL: "", idSeed: 11)
        let events = tracker.observe(BenchFloor.agents(3, step: 0), at: .now()).map(EncodedEvent.init)
        for sinkConfiguration in configuration.sinks {
            // One warm-up cycle: process-wide threads a library starts once (NIO, libcurl's resolver) are not a leak.
            await cycle(sinkConfiguration, context, events)
            let before = await Self.steady()
            var peak = before
            for _ in 0..<cycles {
                await cycle(sinkConfiguration, context, events)
                peak = max(peak, Self.threads)
            }
            let after = await Self.settled(atMost: before, seconds: 10)
            print("{\"sink\":\"\(sinkConfiguration.sinkName)\",\"cycles\":\(cycles),\"threads_before\":\(before),"
                  + "\"threads_peak\":\(peak),\"threads_after\":\(after)}")
        }
    }

    /// Makes the sink, delivers a few events through it (connections open), and lets it go.
    private func cycle(_ sinkConfiguration: any SinkConfiguration, _ context: SinkContext, _ events: [EncodedEvent]) async {
        let sink = sinkConfiguration.makeSink(context)
        _ = await sink.deliver(events)
        if close { await sink.close() }
    }

    /// Threads of this process now (`/proc/self/status`).
    static var threads: Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return Int(status.split(separator: "\n").first { $0.hasPrefix("Threads:") }?.split(separator: "\t").last ?? "") ?? -1
    }

    /// The thread count once it has not changed for 300 ms (at most 5 s): threads end asynchronously.
    static func steady() async -> Int {
        let deadline = ContinuousClock.now + .seconds(5)
        var last = threads, same = 0
        while same < 6, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            let now = threads
            same = now == last ? same + 1 : 0
            last = now
        }
        return last
    }

    /// The thread count once it is at most `count`, or after `seconds` (threads end asynchronously).
    static func settled(atMost count: Int, seconds: Double) async -> Int {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while threads > count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return threads
    }
}
