import Logging
import NATS
import Synchronization
import VicinotifyCore

/// Publishes events to a JetStream stream, one subject per agent, each with `Nats-Msg-Id` = the event id,
/// counted as delivered only once JetStream has acknowledged it. Up to `maxInFlight` publishes await
/// their acknowledgment at once; the delivery queue keeps an agent's next event back until its previous
/// one is acknowledged. No responders, timeouts and a lost connection are retried with the sink's backoff
/// (JetStream's duplicate window drops a retried message it already has); a message over the server's
/// `max_payload` is dead-lettered. Each new kind of failure is logged once, clearly, and its end too.
public actor NatsSink: EventSink {
    public nonisolated let name = NatsSinkConfiguration.sinkName
    public nonisolated let batching: SinkBatching
    private let configuration: NatsSinkConfiguration
    private let logger: Logger
    private var connection: NATSConnection?
    private var streamChecked = false
    private var failing: String?

    public init(configuration: NatsSinkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        batching = SinkBatching(waitFor: configuration.maxInFlight, maxWait: 0)
    }

    public func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        let wanted = batch.indices.filter { configuration.filter.matches(batch[$0]) }
        var outcomes = [DeliveryOutcome](repeating: .delivered, count: batch.count)
        guard !wanted.isEmpty else { return outcomes }
        let nc: NATSConnection
        do {
            nc = try await connected()
        } catch {
            report("\(error)")
            for i in wanted { outcomes[i] = .retry(reason: "\(error)", after: nil) }
            return outcomes
        }
        let messages = wanted.map { NATSConnection.Message(subject: configuration.subjects.subject(for: batch[$0]), id: batch[$0].id,
                                                          data: batch[$0].json) }
        let results = await nc.publish(messages, timeout: configuration.requestTimeout)
        var problem: String?
        for (k, i) in wanted.enumerated() {
            guard case .failure(let e) = results[k] else { continue }
            if e.isMaxPayload {
                outcomes[i] = .giveUp(reason: e.message)
                continue
            }
            let reason = Self.reason(e, subject: messages[k].subject)
            outcomes[i] = .retry(reason: reason, after: nil)
            problem = problem ?? reason
        }
        if let problem { report(problem) } else { recovered() }
        return outcomes
    }

    /// What a failure means, for the log and the retry state.
    static func reason(_ e: NATSError, subject: String) -> String {
        if e.isNoResponders {
            return "no JetStream stream takes subject \(subject) (no responders): create a stream on vicidial.> "
                + "or set sinks.nats.stream; events are kept and retried"
        }
        if e.isTimeout { return "JetStream did not acknowledge in time (\(e.message)); retried, and stored once" }
        return e.message
    }

    private func connected() async throws -> NATSConnection {
        if let connection {
            if !streamChecked, let stream = configuration.stream { try await checkStream(stream, connection) }
            return connection
        }
        let logger = self.logger
        let c = try await NATSConnection.connect(configuration.connection, maxInFlight: configuration.maxInFlight,
                                                 stallWait: configuration.requestTimeout) { event in
            switch event {
            case .disconnected: logger.warning("NATS connection lost; reconnecting", metadata: ["sink": "nats"])
            case .reconnected(let url): logger.notice("NATS reconnected", metadata: ["sink": "nats", "server": "\(url)"])
            case .asyncError(let e): logger.error("NATS: \(e.message)", metadata: ["sink": "nats"])
            }
        }
        connection = c
        logger.info("connected to NATS", metadata: ["sink": "nats", "servers": "\(configuration.connection.servers.joined(separator: ","))"])
        if let stream = configuration.stream { try await checkStream(stream, c) }
        return c
    }

    private func checkStream(_ stream: NATSStreamConfiguration, _ c: NATSConnection) async throws {
        if try await c.ensureStream(stream) {
            logger.notice("created JetStream stream", metadata: ["sink": "nats", "stream": "\(stream.name)", "subjects": "\(stream.subjects)"])
        }
        streamChecked = true
    }

    private func report(_ reason: String) {
        let kind = String(reason.prefix(60))
        guard failing != kind else { return }
        failing = kind
        logger.error("NATS delivery failing: \(reason)", metadata: ["sink": "nats"])
    }

    private func recovered() {
        guard let was = failing else { return }
        failing = nil
        logger.notice("NATS delivery recovered", metadata: ["sink": "nats", "after": "\(was)"])
    }

    /// Closes the connection (the daemon's end).
    public func close() async {
        await connection?.close()
        connection = nil
    }
}
