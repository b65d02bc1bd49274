import Delivery
import CurlHTTP
import Journal
import Logging
import VICIdial
import VicinotifyCore

/// The running pipeline: every source polled on its schedule; each poll's events and snapshot committed
/// to the journal before any sink sees them; every sink fed from the journal by its own `DeliveryQueue`.
public final class Daemon: Sendable {
    public let configuration: Configuration
    public let sinks: [any EventSink]
    /// Metrics and readiness, served on `http.listen` when configured.
    public let operations: Operations
    /// The floor now, served as `/v1/agents` on `http.listen`.
    public let live: LiveFloor
    /// Committed events for the readers of `/v1/events`.
    public let hub: EventHub
    private let logger: Logger
    private let transport: CurlTransport

    public init(configuration: Configuration, sinks: [any EventSink], logger: Logger) {
        self.hub = EventHub(maxReaders: configuration.eventReaders.max, bufferEvents: configuration.eventReaders.buffer)
        self.configuration = configuration
        self.sinks = sinks
        self.logger = logger
        self.operations = Operations(sources: configuration.sources, alerts: configuration.alerts,
                                     queueAlerts: configuration.queueAlerts)
        self.live = LiveFloor(sources: configuration.sources.map(\.vicidial.name),
                              eventSources: Dictionary(configuration.sources.map { ($0.vicidial.name, $0.eventSource) }) { a, _ in a })
        let perHost = configuration.sources.map(\.vicidial.concurrency).max() ?? 4
        self.transport = CurlTransport(maxConnectionsPerHost: perHost)
    }

    /// Polls and delivers until the task is cancelled (SIGINT/SIGTERM); then stops polling, delivers what
    /// can be delivered within `drainTimeout` seconds and returns. What is left stays in the journal.
    /// - Parameter once: poll every source once, deliver, and return.
    /// - Returns: the last poll report of each source.
    /// - Throws: `StateDirectoryError` when another daemon holds `state_dir`, `JournalError` when the journal cannot be opened.
    @discardableResult
    public func run(once: Bool = false, drainTimeout: Double = 10) async throws -> [PollReport] {
        let lock = try await StateDirectoryLock.acquire(directory: configuration.stateDirectory)
        defer { lock.release() }
        let journal = try Journal(directory: configuration.stateDirectory, maxBytes: configuration.journalMaxBytes, logger: logger)
        // Register every sink before the first poll commits: a new sink's cursor starts at the journal's end.
        for sink in sinks { _ = try await journal.cursor(sink: sink.name) }
        let (operations, live, hub, access) = (self.operations, self.live, self.hub, configuration.apiAccess)
        live.start(at: try await journal.lastPosition())
        // One feed: the delivery queues subscribe to it, and the hub of /v1/events listens to it.
        let feed = try await journal.feed()
        feed.listen { hub.publish($0) }
        let queues = sinks.map {
            // A sink handed in without a configuration block (embedding, tests) gets the default policy.
            DeliveryQueue(sink: $0, journal: journal, policy: configuration.retryPolicy(for: $0.name) ?? RetryPolicy(), logger: logger,
                          batchSize: max(500, $0.batching.waitFor), metrics: operations.metrics)
        }
        // Unstructured, so cancelling `run` stops the polling but not the delivery of what was polled.
        let deliveries = queues.map { q in Task { await q.run() } }
        let reports = ReportBox()
        let sinkNames = sinks.map(\.name)
        var listener: OperationsServer?
        if let listen = configuration.httpListen {
            do {
                let router = operations.router(live: live, hub: hub, access: access, journal: journal, sinks: sinkNames,
                                               listenHost: listen.host, logger: logger)
                listener = try await OperationsServer.start(host: listen.host, port: listen.port, logger: logger) { request in
                    await router.respond(to: request)
                }
                let host = listen.host.contains(":") ? "[\(listen.host)]" : listen.host
                logger.info("serving /metrics, /healthz and /readyz; the wallboard at http://\(host):\(listener!.port)/",
                            metadata: ["listen": "\(listen.host):\(listener!.port)"])
            } catch {
                for d in deliveries { d.cancel() }
                throw OperationsListenError(host: listen.host, port: listen.port, reason: "\(error)")
            }
        }
        logger.notice("vicinotify started", metadata: [
            "sources": "\(configuration.sources.map { "\($0.vicidial.name) (\($0.vicidial.mode.rawValue), every \(ConfigDuration.format($0.vicidial.interval)))" }.joined(separator: ", "))",
            "sinks": "\(sinkNames.joined(separator: ", "))", "state_dir": "\(configuration.stateDirectory)"])
        let keep = configuration.journalKeepEvents
        let capped = configuration.journalMaxBytes != nil
        try await withThrowingTaskGroup(of: Void.self) { group in
            for s in configuration.sources {
                let restored = try await journal.restore(source: s.vicidial.name)
                let client = s.reader(transport: transport)
                let tracker = SourceTracker(name: s.vicidial.name, eventSource: s.eventSource, redactedURL: client.redactedURL,
                                            downAfter: s.vicidial.downAfter, floor: restored.floor,
                                            lastSequence: restored.lastSequence)
                let runner = SourceRunner(client: client, journal: journal, logger: logger)
                let heartbeats = try await restoreHeartbeats(source: s.vicidial.name, floor: restored.floor, journal: journal)
                let thresholds = try await restoreThresholds(source: s.vicidial.name, floor: restored.floor, journal: journal)
                let step = PollStep(source: s.vicidial, tracker: tracker, heartbeats: heartbeats, thresholds: thresholds,
                                    queueRules: configuration.queueAlerts)
                group.addTask {
                    await runner.run(step: step, onePoll: once) { committed, report in
                        operations.record(report)
                        live.record(report)
                        await reports.set(report)
                        if !report.journalWritable, capped {
                            // At journal.max_mb nothing commits, so the every-100-commits pruning never runs:
                            // give up replay history the sinks have passed, and polling resumes.
                            if let n = try? await journal.prune(sinks: sinkNames, keep: 0), n > 0 {
                                self.logger.warning("journal.max_mb reached: removed \(n) delivered events kept for replay")
                            }
                        }
                        guard committed else { return }
                        if await reports.countCommit() % 100 == 0 { _ = try? await journal.prune(sinks: sinkNames, keep: keep) }
                    }
                }
            }
            try await group.waitForAll()
        }
        for q in queues { q.drain() }
        let deadline = Task {
            try? await Task.sleep(for: .milliseconds(Int(drainTimeout * 1000)))
            if !Task.isCancelled { for d in deliveries { d.cancel() } }
        }
        for d in deliveries { await d.value }
        deadline.cancel()
        _ = try? await journal.prune(sinks: sinkNames, keep: keep)
        await listener?.stop()
        withExtendedLifetime(feed) {}
        return await reports.all
    }
}

extension Daemon {
    /// Each heartbeat sink's schedule for one source, from the events the journal gave it in the last period.
    func restoreHeartbeats(source: String, floor: AgentFloor, journal: Journal) async throws -> [HeartbeatSchedule] {
        let now = Timestamp.now()
        var out: [HeartbeatSchedule] = []
        for sink in configuration.sinks where sinks.contains(where: { $0.name == sink.sinkName }) {
            guard let period = sink.heartbeat else { continue }
            let since = Timestamp(millisecondsSince1970: now.millisecondsSince1970 - Int64(period * 1000))
            let history = try await journal.recentEvents(source: source, sink: sink.sinkName, since: since)
            out.append(HeartbeatSchedule(sink: sink.sinkName, source: source, period: period, filter: sink.filter,
                                         floor: floor, history: history, at: now))
        }
        return out
    }

    /// The alert rules' watch for one source, told which current occurrences were already reported.
    func restoreThresholds(source: String, floor: AgentFloor, journal: Journal) async throws -> ThresholdWatch {
        let blank = ThresholdWatch(source: source, rules: configuration.alerts)
        guard let oldest = blank.oldestRelevantStart(on: floor) else { return blank }
        return ThresholdWatch(source: source, rules: configuration.alerts, floor: floor,
                              earlier: try await journal.thresholdCrossings(source: source, since: oldest))
    }
}

/// `http.listen` could not be bound.
public struct OperationsListenError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var reason: String
    public var description: String { "cannot listen on \(host):\(port) for /metrics and /readyz: \(reason)" }
}

/// The last poll report of each source, and how many polls committed events (pruning runs every 100).
private actor ReportBox {
    var bySource: [String: PollReport] = [:]
    var commits = 0
    func countCommit() -> Int { commits += 1; return commits }
    func set(_ r: PollReport) { bySource[r.source] = r }
    var all: [PollReport] { bySource.values.sorted { $0.source < $1.source } }
}
