import Logging
import NATS
import Synchronization
import VicinotifyCore

/// Publishes events to a JetStream stream, one subject per agent, each with `Nats-Msg-Id` = the event id,
/// counted as delivered only once JetStream has acknowledged it. Up to `maxInFlight` publishes await
/// their acknowledgment at once; the delivery queue keeps an agent's next event back until its previous
/// one is acknowledged. No responders, timeouts and a lost connection are retried with the sink's backoff
/// (JetStream's duplicate window drops a retried message it already has); a message over the server's
/// `max_payload` is dead-lettered. The delivery queue logs each new reason once, and the recovery.
public actor NatsSink: EventSink {
    public nonisolated let name = NatsSinkConfiguration.sinkName
    public nonisolated let batching: SinkBatching
    private nonisolated let configuration: NatsSinkConfiguration
    private let logger: Logger
    private var connection: NATSConnection?
    private var streamChecked = false

    public init(configuration: NatsSinkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        // Large batches: each deliver call ends by awaiting its last acknowledgments, so fewer calls keep the
        // window full longer. What is ready is still handed over at once (no wait).
        batching = SinkBatching(waitFor: min(5000, max(500, configuration.maxInFlight * 16)), maxWait: 0)
    }

    /// `sinks.nats.events`: its queue hands over nothing else.
    public nonisolated var filter: EventFilter { configuration.filter }

    public func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        let wanted = Array(batch.indices)
        var outcomes = [DeliveryOutcome](repeating: .delivered, count: batch.count)
        guard !wanted.isEmpty else { return outcomes }
        let nc: NATSConnection
        do {
            nc = try await connected()
        } catch {
            for i in wanted { outcomes[i] = .retry(reason: "\(error)", after: nil) }
            return outcomes
        }
        let messages = wanted.map { NATSConnection.Message(subject: configuration.subjects.subject(for: batch[$0]), id: batch[$0].id,
                                                          data: batch[$0].json) }
        let results = await nc.publish(messages, timeout: configuration.requestTimeout)
        for (k, i) in wanted.enumerated() {
            guard case .failure(let e) = results[k] else { continue }
            if e.isMaxPayload {
                outcomes[i] = .giveUp(reason: e.message)
                continue
            }
            outcomes[i] = .retry(reason: Self.reason(e, subject: messages[k].subject), after: nil)
        }
        return outcomes
    }

    /// What a failure means, for the log and the retry state.
    static func reason(_ e: NATSError, subject: String) -> String {
        if e.isNoResponders {
            let prefix = subject.split(separator: ".").prefix(2).joined(separator: ".")
            return "no JetStream stream takes the subjects \(prefix).* (no responders): create a stream on vicidial.> "
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
        let (logger, said) = (self.logger, SaidOnce())
        let c = try await NATSConnection.connect(configuration.connection, maxInFlight: configuration.maxInFlight,
                                                 stallWait: configuration.requestTimeout) { event in
            switch event {
            case .disconnected: logger.warning("NATS connection lost; reconnecting", metadata: ["sink": "nats"])
            case .reconnected(let url): logger.notice("NATS reconnected", metadata: ["sink": "nats", "server": "\(url)"])
            case .asyncError(let e):  // a permissions violation comes once per publish: said once
                if said.first(e.message) { logger.error("NATS: \(e.message)", metadata: ["sink": "nats"]) }
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

    /// Closes the connection (the daemon's end).
    public func close() async {
        await connection?.close()
        connection = nil
    }
}

/// Messages already logged, so that one repeated by the server is said once.
private final class SaidOnce: Sendable {
    private let said = Mutex<Set<String>>([])
    func first(_ message: String) -> Bool { said.withLock { $0.insert(message).inserted } }
}
