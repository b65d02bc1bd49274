import Delivery
import ArgumentParser
import Foundation
import Journal
import VicinotifyCore

/// Journal commit latency and throughput, and what a large sink backlog costs in memory.
struct JournalBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Commit latency of 10,000-event polls, sustained events/s, and the RSS cost of a 100,000-event backlog.")

    @Option(help: "Events per committed poll.")
    var batch = 10_000

    @Option(help: "Measured commits.")
    var commits = 10

    @Option(help: "Seconds between commits, as between polls (0: back to back).")
    var interval: Double = 1

    @Option(help: "Undelivered events for the backlog measurement.")
    var backlog = 100_000

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-journal-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(directory: dir)
        _ = try await journal.cursor(sink: "backlog")
        var tracker = SourceTracker(name: "bench", eventSource: "vicidial://bench", redactedURL: "", idSeed: 9)
        var step = 0
        func poll() -> (events: [EncodedEvent], changes: [AgentChange], time: Timestamp) {
            step += 1
            let time = BenchFloor.time(step: step)
            let events = tracker.observe(BenchFloor.agents(batch, step: step), at: time)
            let changes = events.compactMap { e -> AgentChange? in if case .agent(let c, _) = e.payload { return c }; return nil }
            return (events.map(EncodedEvent.init), changes, time)
        }
        var times: [Double] = []
        var total = 0
        for _ in 0..<(commits + 1) {
            let p = poll()
            let start = DispatchTime.now().uptimeNanoseconds
            try await journal.commit(source: "bench", events: p.events, changes: p.changes, at: p.time, lastSequence: tracker.lastSequence)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            total += p.events.count
            if interval > 0 { try await Task.sleep(for: .milliseconds(Int(interval * 1000))) }
        }
        let measured = times.dropFirst().sorted()  // the first commit also inserts every agent row
        let median = measured[measured.count / 2]
        print(String(format: "commit of a %d-event poll every %.1fs (events + snapshot blocks, synchronous=FULL): median %.1f ms, max %.1f ms",
                     batch, interval, median, measured.last!))
        print(String(format: "throughput while committing: %.0f events/s", Double(batch) / median * 1000))

        // Backlog: a sink that is down holds everything undelivered; only its window is in memory.
        while total < backlog {
            let p = poll()
            try await journal.commit(source: "bench", events: p.events, changes: p.changes, at: p.time, lastSequence: tracker.lastSequence)
            total += p.events.count
        }
        let before = Memory.currentRSS
        let down = DownSink()
        let queue = DeliveryQueue(sink: down, journal: journal, logger: Bench.quietLogger)
        let run = Task { await queue.run() }
        while await down.attempts < 2000 { try await Task.sleep(for: .milliseconds(20)) }
        let after = Memory.currentRSS
        run.cancel()
        await run.value
        print("backlog of \(total) undelivered events: RSS \(Memory.mb(before)) -> \(Memory.mb(after)) (+\(Memory.mb(after - before)))")
    }
}

/// A sink that is down: every event fails and is retried in an hour.
private actor DownSink: EventSink {
    nonisolated let name = "backlog"
    var attempts = 0
    func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        attempts += batch.count
        return batch.map { _ in .retry(reason: "down", after: 3600) }
    }
}
