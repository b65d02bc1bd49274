import Foundation
import NATS
import VicinotifyCore

/// Follows a JetStream stream the NATS sink writes to: catch-up from a sequence, a time or a duration,
/// then live, through an ordered consumer that the library recreates after a reconnect, so that no
/// message is skipped or repeated. Filters as the other tails: types (globs) and agents.
public struct NATSTail: Sendable {
    public var connection: NATSConnectionOptions
    public var stream: String
    public var start: NATSConsumer.Start
    public var filter: EventFilter
    let note: @Sendable (String) -> Void

    public init(connection: NATSConnectionOptions, stream: String, since: String?, types: [String], agents: [String],
                note: @escaping @Sendable (String) -> Void) throws {
        self.connection = connection
        self.stream = stream
        start = try Self.start(since)
        filter = EventFilter(types: types, agents: agents)
        self.note = note
    }

    /// `--since`: a stream sequence (what comes after it; 0 is everything), a time, or a duration back from now.
    static func start(_ since: String?) throws -> NATSConsumer.Start {
        guard let since else { return .new }
        if let s = UInt64(since) { return s == 0 ? .all : .sequence(s + 1) }
        if let t = Timestamp(rfc3339: since) { return .time(Double(t.millisecondsSince1970) / 1000) }
        if let d = ConfigDuration.parse(since) { return .time(Date().timeIntervalSince1970 - d) }
        throw NATSTailError(message: "--since: expected a stream sequence, a time like 2026-11-24T09:00:00Z, or a duration like 15m")
    }

    /// Emits each matching event's JSON until `emit` returns false (its reader went away) or the task is cancelled.
    public func run(_ emit: (String) -> Bool) async throws {
        let nc = try await NATSConnection.connect(connection) { event in
            switch event {
            case .disconnected: note("connection to NATS lost; reconnecting")
            case .reconnected(let url): note("reconnected to \(url)")
            case .asyncError(let e): note(e.message)
            }
        }
        let consumer: NATSConsumer
        do {
            consumer = try await NATSConsumer.open(on: nc, stream: stream, subject: ">", from: start)
        } catch {
            await nc.close()
            throw error
        }
        defer { Task { await consumer.close(); await nc.close() } }
        while !Task.isCancelled {
            guard let m = try await consumer.next(timeout: 1) else { continue }
            let json = String(decoding: m.data, as: UTF8.self)
            guard matches(m.data) else { continue }
            if !emit(json) { return }
        }
    }

    func matches(_ data: [UInt8]) -> Bool {
        guard !filter.allowsEverything else { return true }
        guard let e = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any],
              let type = (e["type"] as? String).flatMap(EventType.init(rawValue:)) else { return false }
        return filter.matches(type: type, source: "", campaign: "", userGroup: "", agent: e["subject"] as? String ?? "")
    }
}

public struct NATSTailError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
