import CurlHTTP
import Logging
import VICIdial
import VicinotifyCore

/// The running pipeline: every source polled on its schedule, its events handed to every sink through
/// the sink's own queue, so a slow sink never holds up polling or another sink.
public final class Daemon: Sendable {
    public let configuration: Configuration
    public let sinks: [any EventSink]
    private let logger: Logger
    private let transport: CurlTransport

    public init(configuration: Configuration, sinks: [any EventSink], logger: Logger) {
        self.configuration = configuration
        self.sinks = sinks
        self.logger = logger
        let perHost = configuration.sources.map(\.vicidial.concurrency).max() ?? 4
        self.transport = CurlTransport(maxConnectionsPerHost: perHost)
    }

    /// Polls and delivers until the task is cancelled (SIGINT/SIGTERM), then delivers what is queued,
    /// waiting at most `drainTimeout` seconds.
    /// - Parameter once: poll every source once, deliver, and return.
    /// - Returns: the last poll report of each source.
    @discardableResult
    public func run(once: Bool = false, drainTimeout: Double = 10) async -> [PollReport] {
        let queues = sinks.map { SinkQueue(sink: $0, logger: logger) }
        let reports = ReportBox()
        // Unstructured, so cancelling `run` stops the polling but not the delivery of what was polled.
        let deliveries = queues.map { q in Task { await q.run() } }
        await withTaskGroup(of: Void.self) { group in
            for s in configuration.sources {
                let runner = SourceRunner(client: VICIdialClient(source: s.vicidial, transport: transport),
                                          eventSource: s.eventSource, logger: logger)
                group.addTask {
                    await runner.run(onePoll: once) { events, report in
                        await reports.set(report)
                        guard !events.isEmpty else { return }
                        for q in queues { q.enqueue(events) }
                    }
                }
            }
        }
        for q in queues { q.finish() }
        let deadline = Task {
            try? await Task.sleep(for: .milliseconds(Int(drainTimeout * 1000)))
            if !Task.isCancelled { for d in deliveries { d.cancel() } }
        }
        for d in deliveries { await d.value }
        deadline.cancel()
        return await reports.all
    }
}

private actor ReportBox {
    var bySource: [String: PollReport] = [:]
    func set(_ r: PollReport) { bySource[r.source] = r }
    var all: [PollReport] { bySource.values.sorted { $0.source < $1.source } }
}
