import Foundation
import HandOverTrace
import Journal
import NIOCore
import Synchronization
import VicinotifyCore

/// `GET /v1/events`: Server-Sent Events from any journal position, then live. Each event's `id` is its
/// journal position, `event` its type, `data` the exact CloudEvent JSON the sinks get. A reader resumes
/// with `Last-Event-ID` (or `?since=` a position, an RFC 3339 time or a duration) with no gap and no
/// duplicate, as far back as the journal keeps events; further back is an `error` event, not a gap.
struct EventStream: Sendable {
    let journal: Journal
    let hub: EventHub
    static let keepAlive = Duration.seconds(15)

    /// Where a reader starts.
    enum Start: Equatable {
        case live
        case after(Int64)
        case time(Timestamp)

        /// The largest journal position a reader may name (2^53, what a JavaScript client holds exactly).
        static let maxPosition: Int64 = 1 << 53
        /// The longest duration back a reader may name: a year, as in the configuration.
        static let maxDuration: Double = 366 * 86400

        /// A request's start that cannot be read: which parameter, and why.
        struct Invalid: Error, Equatable {
            var parameter: String
            var reason: String
            var json: String {
                "{\"error\":\"\(parameter): \(reason)\",\"parameter\":\"\(parameter)\"}\n"
            }
        }

        /// From `Last-Event-ID` (which wins) or `since`, every number within bounds.
        static func parse(lastEventID: String?, since: String?, now: Timestamp = .now()) -> Result<Start, Invalid> {
            if let id = lastEventID?.trimmingCharacters(in: .whitespaces), !id.isEmpty {
                guard let p = position(id) else {
                    return .failure(Invalid(parameter: "Last-Event-ID", reason: "not a journal position from 0 to \(maxPosition)"))
                }
                return .success(.after(p))
            }
            guard let since, !since.isEmpty else { return .success(.live) }
            if since.allSatisfy { ("0"..."9").contains($0) } {
                guard let p = position(since) else {
                    return .failure(Invalid(parameter: "since", reason: "a journal position goes from 0 to \(maxPosition)"))
                }
                return .success(.after(p))
            }
            if let t = Timestamp(rfc3339: since) { return .success(.time(t)) }
            if let d = ConfigDuration.parse(since) {
                guard d <= maxDuration else { return .failure(Invalid(parameter: "since", reason: "a duration goes back at most 366 days")) }
                return .success(.time(now.adding(milliseconds: -Int64(d * 1000))))
            }
            return .failure(Invalid(parameter: "since", reason: "not a journal position, an RFC 3339 time or a duration such as 5m"))
        }

        private static func position(_ text: String) -> Int64? {
            guard text.count <= 16, text.allSatisfy { ("0"..."9").contains($0) }, let p = Int64(text), p <= maxPosition else { return nil }
            return p
        }
    }

    /// Filters from the query: `type` (with `*`), `source`, `campaign`, `user_group`, `agent`.
    static func filter(_ query: [String: [String]]) -> EventFilter {
        EventFilter(types: query["type"] ?? [], sources: query["source"] ?? [], campaigns: query["campaign"] ?? [],
                    userGroups: query["user_group"] ?? [], agents: query["agent"] ?? [])
    }

    /// Streams to `write` until the reader goes away, falls too far behind, or the task is cancelled. A
    /// reader that falls behind stops being written to at once (even in the middle of a blocked write).
    /// - Returns: the last words for a reader cut off: an `overflow` event naming the last id it was sent.
    func run(from start: Start, filter: EventFilter, subscription: EventHub.Subscription,
             write: @escaping @Sendable (ByteBuffer) async throws -> Void) async -> ByteBuffer? {
        defer { hub.unsubscribe(subscription) }
        let sent = LastSent()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await pump(from: start, filter: filter, subscription: subscription, sent: sent, write: write)
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.keepAlive)
                    if Task.isCancelled { break }
                    guard (try? await write(ByteBuffer(string: ": keep-alive\n\n"))) != nil else { break }
                }
            }
            group.addTask { for await _ in subscription.ended {} }  // ends on overflow, or when the pump is done
            await group.next()
            group.cancelAll()
        }
        guard subscription.overflowed else { return nil }
        return ByteBuffer(bytes: Self.frame(event: "overflow", data: "{\"error\":\"this reader fell more than \(hub.bufferEvents) events "
                                            + "behind; reconnect with Last-Event-ID to resume\",\"last_event_id\":\(sent.position.load(ordering: .relaxed))}"))
    }

    /// Catch-up from the journal, then the live feed; `sent` follows the last position written.
    private func pump(from start: Start, filter: EventFilter, subscription: EventHub.Subscription, sent: LastSent,
                      write: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws {
        defer { subscription.finish() }
        var last: Int64
        switch start {
        case .live: last = try await journal.lastPosition()
        case .after(let p): last = p
        case .time(let t): last = try await journal.position(before: t)
        }
        sent.position.store(last, ordering: .relaxed)
        if let oldest = try await journal.oldestPosition(), oldest > last + 1, start != .live {
            try await write(ByteBuffer(bytes: Self.frame(event: "error", data: "{\"error\":\"the journal no longer keeps the events "
                                                         + "after \(last)\",\"oldest\":\(oldest)}")))
            return
        }
        // Catch up from the journal, a batch per write; live events already sent this way are skipped below.
        while true {
            let events = try await journal.sharedEvents(after: last, limit: 500)
            guard let end = events.last?.position else { break }
            if let frames = EventHub.Batch(events).frames(after: last, matching: filter) { try await write(frames) }
            last = end
            sent.position.store(last, ordering: .relaxed)
        }
        for await batch in subscription.batches {
            HandOverTrace.mark("sse.reader")
            defer { subscription.taken(batch) }
            guard let end = batch.events.last?.position, end > last else { continue }
            if let frames = batch.frames(after: last, matching: filter) { try await write(frames) }
            last = end
            sent.position.store(last, ordering: .relaxed)
        }
    }

    /// Appends `e` as one SSE frame: `id` its position, `event` its type, `data` its JSON.
    static func appendFrame(_ e: JournaledEvent, to out: inout [UInt8]) {
        ServerSentEvents.append(id: e.position, event: e.event.type.rawValue, data: e.event.json, to: &out)
    }

    static func frame(event: String, data: String) -> [UInt8] { ServerSentEvents.frame(event: event, data: data) }
}

/// The position of the last event written to one reader, shared by its writer and its cut-off.
private final class LastSent: Sendable {
    let position = Atomic<Int64>(-1)
}
