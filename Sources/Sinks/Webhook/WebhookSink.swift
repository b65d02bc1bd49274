import CCrypto
import CurlHTTP
import Foundation
import Synchronization
import VicinotifyCore

/// POSTs events to one webhook endpoint: signed (Standard Webhooks), filtered, up to `concurrency`
/// requests in flight over kept-alive connections of its own libcurl transport.
///
/// Outcomes: 2xx delivered; 3xx retried (redirects are never followed); 408, 425, 429, 5xx, timeouts and
/// connection errors retried, after `Retry-After` when given; 410 disables the endpoint until the next
/// start; any other status is a permanent failure (dead letter) noting the status and the response's
/// first bytes.
public final class WebhookSink: EventSink {
    public let endpoint: WebhookEndpoint
    private let transport: CurlTransport
    private let disabled = Atomic<Bool>(false)
    private let observer: (@Sendable (_ seconds: Double, _ outcome: DeliveryOutcome) -> Void)?

    /// - Parameter observer: called for every request with its duration (libcurl's total time) and outcome
    ///   (metrics, benchmarks).
    public init(endpoint: WebhookEndpoint,
                observer: (@Sendable (_ seconds: Double, _ outcome: DeliveryOutcome) -> Void)? = nil) {
        self.endpoint = endpoint
        self.observer = observer
        self.transport = CurlTransport(maxConnectionsPerHost: endpoint.concurrency)
    }

    public var name: String { endpoint.sinkName }

    public var batching: SinkBatching {
        endpoint.batchMaxEvents > 1 ? SinkBatching(waitFor: endpoint.batchMaxEvents, maxWait: endpoint.batchMaxWait)
            : SinkBatching()
    }

    /// The endpoint's `events` and `filter`: its queue hands over nothing else.
    public var filter: EventFilter { endpoint.filter }

    public func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome](repeating: .delivered, count: batch.count)
        let wanted = Array(batch.indices)
        guard !wanted.isEmpty else { return outcomes }
        let size = endpoint.batchMaxEvents
        let groups = stride(from: 0, to: wanted.count, by: size).map { Array(wanted[$0..<min($0 + size, wanted.count)]) }
        if disabled.load(ordering: .relaxed) {
            for i in wanted { outcomes[i] = .disableSink(reason: Self.goneReason) }
            return outcomes
        }
        let timestamp = Int(Date().timeIntervalSince1970)
        var signed: [(group: [Int], request: HTTPRequest)] = []
        for g in groups {
            do {
                signed.append((g, try request(for: g.map { batch[$0] }, timestamp: timestamp)))
            } catch {
                // A request signed with nothing would be rejected and dead-lettered with the cause hidden.
                for i in g { outcomes[i] = .retry(reason: "cannot sign the request: \(error)", after: nil) }
            }
        }
        let start = ContinuousClock.now
        let results = await transport.perform(signed.map(\.request), maxInFlight: endpoint.concurrency) { $0.status == 410 }
        let elapsed = ContinuousClock.now - start
        for ((g, _), result) in zip(signed, results) {
            let outcome: DeliveryOutcome
            switch result {
            case .success(let response):
                outcome = Self.outcome(response, redacting: endpoint.secretValues)
            case .failure(let error) where error.kind == .cancelled && disabled.load(ordering: .relaxed):
                outcome = .disableSink(reason: Self.goneReason)
            case .failure(let error):
                outcome = .retry(reason: "\(error.kind.rawValue): \(error.message)", after: nil)
            }
            if case .disableSink = outcome { disabled.store(true, ordering: .relaxed) }
            if let observer {
                let seconds = (try? result.get().totalSeconds) ?? elapsed.seconds
                observer(seconds, outcome)
            }
            for i in g { outcomes[i] = outcome }
        }
        return outcomes
    }

    /// Only the status, `Retry-After` and the first bytes of an answer matter: the rest is not read.
    static let maxResponseBytes = 4096

    /// Why events are not sent once the endpoint has answered 410.
    static let goneReason = "the endpoint answered 410 Gone"

    /// One signed request carrying `events`: the event itself, or a JSON array when batching is on.
    private func request(for events: [EncodedEvent], timestamp: Int) throws(CryptoError) -> HTTPRequest {
        var body: [UInt8]
        let id: String
        if endpoint.batchMaxEvents == 1 {
            body = events[0].json
            id = events[0].id
        } else {
            var b: [UInt8] = [UInt8(ascii: "[")]
            for (i, e) in events.enumerated() {
                if i > 0 { b.append(UInt8(ascii: ",")) }
                b += e.json
            }
            b.append(UInt8(ascii: "]"))
            body = b
            id = try Self.batchID(events)
        }
        if endpoint.format == .chat { body = ChatMessage.body(events.map(\.json)) }
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("User-Agent", "vicinotify"),
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
        ]
        if let signer = endpoint.signer {
            headers.append(("webhook-signature", try signer.signature(id: id, timestamp: timestamp, body: body)))
        }
        headers += endpoint.headers
        return HTTPRequest(method: .post, url: endpoint.url, headers: headers, body: body,
                           timeout: endpoint.timeout, connectTimeout: endpoint.connectTimeout, caFile: endpoint.caFile,
                           maxResponseBytes: Self.maxResponseBytes)
    }

    /// What an HTTP answer means for the events it carried.
    /// - Parameter secrets: texts that must not reach a log or a dead letter if the receiver echoes them.
    public static func outcome(_ response: HTTPResponse, now: Date = Date(), redacting secrets: [String] = []) -> DeliveryOutcome {
        let status = response.status
        switch status {
        case 200..<300:
            return .delivered
        case 300..<400:
            let location = response.header("Location").map(Self.withoutQuery) ?? "nowhere"
            return .retry(reason: "HTTP \(status): redirect to \(location) not followed", after: nil)
        case 410:
            return .disableSink(reason: "HTTP 410 Gone")
        case 408, 425, 429, 500..<600:
            return .retry(reason: "HTTP \(status)", after: response.header("Retry-After").flatMap { Self.seconds(retryAfter: $0, now: now) })
        case 400..<500:
            return .giveUp(reason: "HTTP \(status): " + snippet(response.body, redacting: secrets))
        default:
            return .retry(reason: "HTTP \(status): unexpected status", after: nil)
        }
    }

    /// `Retry-After` as seconds from `now`: delay-seconds or an HTTP date.
    public static func seconds(retryAfter value: String, now: Date) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let n = Int(text), n >= 0 { return Double(n) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = f.date(from: text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// The first 200 characters of a response, on one printable line, with `secrets` masked before the
    /// cut (so no prefix of one survives it).
    static func snippet(_ body: [UInt8], redacting secrets: [String] = []) -> String {
        var text = String(decoding: body.prefix(4096), as: UTF8.self)
        for secret in secrets where !secret.isEmpty { text = text.replacingOccurrences(of: secret, with: "REDACTED") }
        let line = String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        return line.isEmpty ? "(empty body)" : String(line.prefix(200)) + (line.count > 200 || body.count > 4096 ? "…" : "")
    }

    static func withoutQuery(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }

    /// A batch's `webhook-id`: `msg_` and 32 hex digits of SHA-256 over the event ids, so the same
    /// events retried together carry the same id.
    static func batchID(_ events: [EncodedEvent]) throws(CryptoError) -> String {
        let ids = Array(events.map(\.id).joined(separator: ",").utf8)
        var digest = [UInt8](repeating: 0, count: 32)
        try CryptoError.call("SHA-256") { ccrypto_sha256(ids, ids.count, &digest) }
        return "msg_" + digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
