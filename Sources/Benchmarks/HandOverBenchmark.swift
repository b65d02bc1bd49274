import ArgumentParser
import Daemon
import Foundation
import HandOverTrace
import Simulator
import Sinks
import VICIdial

/// Counts, by running the real daemon, the hand-overs between threads and tasks on an event's way from
/// VICIdial's answer to a webhook request and to an SSE reader's socket (`HandOverTrace`'s marks).
struct HandOverBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handovers",
        abstract: "Hand-overs between threads and tasks from VICIdial's answer to a webhook request and to an SSE socket.")

    @Option(help: "Events to trace (each from a poll of its own).")
    var events = 5

    @Flag(help: "Print every mark recorded, not only the way.")
    var showMarks = false

    static let sourceSide = ["curl.answer", "source.answer"]
    static let webhookSide = ["feed.publish", "queue.deliver", "curl.request"]
    static let sseSide = ["feed.publish", "hub.publish", "sse.reader", "sse.socket"]

    func run() async throws {
        let simulator = try SimulatorProcess.start(agents: 1, tick: 0.7)
        defer { simulator.stop() }
        let receiver = try await LoopbackReceiver.start()
        let port = try Bench.freeLoopbackPort()
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-handovers-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let source = VICIdialSource(name: "bench", url: simulator.url, user: "apiuser", password: "apipass", interval: 0.25, timeout: 5)
        let webhook = WebhookEndpoint(name: "crm", url: receiver.url, concurrency: 1)
        var config = Configuration(stateDirectory: state, sources: [.init(vicidial: source, eventSource: "vicidial://bench")], sinks: [webhook])
        config.httpListen = ("127.0.0.1", port)
        let daemon = Daemon(configuration: config, sinks: [WebhookSink(endpoint: webhook)], logger: Bench.quietLogger)
        let work = Task { _ = try await daemon.run() }
        defer { work.cancel() }
        try await Task.sleep(for: .seconds(2))  // listening, the agent logged in
        let reader = try SSEReaderPool(port: port, path: "/v1/events", count: 1)
        defer { reader.stop() }
        try await Task.sleep(for: .seconds(1))  // the reader is live

        var webhookCounts: [Int] = [], sseCounts: [Int] = []
        for round in 1...events {
            let requests = receiver.requests, frames = reader.readers[0].frames
            HandOverTrace.start()
            let deadline = ContinuousClock.now + .seconds(10)
            while receiver.requests == requests || reader.readers[0].frames == frames, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(50))  // the last marks of that event's way
            let marks = HandOverTrace.stop()
            guard let toWebhook = Self.webhookPath(marks), let toSSE = HandOverTrace.path(
                before: Self.sourceSide, anchor: "journal.commit", after: Self.sseSide, in: marks) else {
                throw ValidationError("round \(round): an event's way was not traced within 10 s (\(marks.count) marks)")
            }
            webhookCounts.append(HandOverTrace.handOvers(toWebhook))
            sseCounts.append(HandOverTrace.handOvers(toSSE))
            if showMarks { for m in marks { print("  mark \(m.stage) thread \(m.thread) \(m.threadName) task \(m.task.map(String.init) ?? "-")") } }
            if round == 1 {
                print("VICIdial's answer to a webhook request:")
                Self.show(toWebhook)
                print("VICIdial's answer to an SSE socket:")
                Self.show(toSSE)
            }
        }
        print("hand-overs over \(events) events: to a webhook request \(webhookCounts.map(String.init).joined(separator: " ")), "
              + "to an SSE socket \(sseCounts.map(String.init).joined(separator: " "))")
        print(#"{"webhook_max": \#(webhookCounts.max() ?? -1), "sse_max": \#(sseCounts.max() ?? -1)}"#)
    }

    /// The webhook's way: its request goes to its sink's own libcurl loop, not to the source's.
    static func webhookPath(_ marks: [HandOverTrace.Mark]) -> [HandOverTrace.Mark]? {
        guard let toQueue = HandOverTrace.path(before: sourceSide, anchor: "journal.commit", after: webhookSide.dropLast(), in: marks),
              let sourceLoop = toQueue.first?.thread, let queued = marks.firstIndex(of: toQueue.last!) else { return nil }
        guard let request = marks[queued...].first(where: { $0.stage == "curl.request" && $0.thread != sourceLoop }) else { return nil }
        return toQueue + [request]
    }

    static func show(_ path: [HandOverTrace.Mark]) {
        var tasks: [Int: Int] = [:]
        for (i, m) in path.enumerated() {
            let task = m.task.map { t in "task \(tasks[t] ?? { tasks[t] = tasks.count + 1; return tasks.count }())" } ?? "no task"
            let hop = i > 0 && m.isHandOver(from: path[i - 1]) ? "  <- hand-over" : ""
            print("  \(m.stage.padding(toLength: 15, withPad: " ", startingAt: 0)) thread \(m.threadName.isEmpty ? "?" : m.threadName), \(task)\(hop)")
        }
        print("  \(HandOverTrace.handOvers(path)) hand-overs")
    }
}
