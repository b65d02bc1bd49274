import CurlHTTP
import Foundation
import VicinotifyCore

/// `webhook_receiver.py` running on a free 127.0.0.1 port: an independent (Python `hmac`) verifier of
/// webhook signatures that records every request and misbehaves on demand.
public final class WebhookReceiver: Sendable {
    public let port: Int
    public let http = CurlTransport()
    private let process: Child

    /// One request as the receiver saw it.
    public struct Receipt: Sendable {
        public var path: String
        public var id: String
        /// How many `v1` signatures matched a secret the receiver knows.
        public var signaturesValid: Int
        public var contentType: String?
        public var tenantHeader: String?
        /// Event ids in the body, in body order.
        public var eventIDs: [String]
        public var subjects: [String]
        public var sequences: [String]
        public var types: [String]
        /// accepted | rejected | ambiguous (processed, but the answer was lost or late).
        public var outcome: String
        /// Arrival and answer, receiver's monotonic seconds.
        public var arrived: Double
        public var answered: Double?
        /// Arrival, Unix seconds; and each event's `time`, Unix seconds.
        public var arrivedWall: Double
        public var eventTimes: [Double]
        /// The text of a chat body (`{"text": ...}` and no other key), as the receiver parsed it.
        public var chatText: String?
    }

    /// - Parameter secrets: the `whsec_` secrets signatures are checked against.
    public static func start(secrets: [String] = []) async throws -> WebhookReceiver {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("webhook_receiver.py").path
        // Its stdin is the lifeline: the receiver exits when it closes, i.e. when the test process ends.
        let p = try Child("python3", [script] + secrets, stdin: .pipe, stderr: .null)
        let out = p.standardOutput!
        let line: String = await withCheckedContinuation { c in
            Thread.detachNewThread {
                var bytes: [UInt8] = []
                var b: UInt8 = 0
                while read(out.fileDescriptor, &b, 1) == 1, b != 0x0A { bytes.append(b) }
                c.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
        guard let port = Int(line) else {
            p.terminate()
            throw ControlError(message: "webhook_receiver.py did not start (printed '\(line)')")
        }
        return WebhookReceiver(port: port, process: p)
    }

    private init(port: Int, process: Child) {
        self.port = port
        self.process = process
    }

    deinit { stop() }

    public func stop() { process.terminate() }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// How requests to `path` are answered from now on (see the script's header).
    public func behave(_ path: String, _ behaviour: [String: Any]) async throws {
        var b = behaviour
        b["path"] = path
        let body = Array(try JSONSerialization.data(withJSONObject: b))
        let r = try await http.perform(HTTPRequest(method: .post, url: url("/control/behaviour"), body: body))
        guard r.status == 200 else { throw ControlError(message: "behaviour: HTTP \(r.status)") }
    }

    /// Every request so far, in arrival order; only those to `path` when given.
    public func receipts(_ path: String? = nil) async throws -> [Receipt] {
        let r = try await http.perform(HTTPRequest(url: url("/control/receipts")))
        let list = try JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]] ?? []
        return list.map { d in
            let events = d["events"] as? [[String: Any]] ?? []
            return Receipt(path: d["path"] as? String ?? "", id: d["id"] as? String ?? "",
                           signaturesValid: d["signatures_valid"] as? Int ?? 0, contentType: d["content_type"] as? String,
                           tenantHeader: d["extra"] as? String,
                           eventIDs: events.map { $0["id"] as? String ?? "" }, subjects: events.map { $0["subject"] as? String ?? "" },
                           sequences: events.map { $0["sequence"] as? String ?? "" }, types: events.map { $0["type"] as? String ?? "" },
                           outcome: d["outcome"] as? String ?? "", arrived: d["t"] as? Double ?? 0, answered: d["done_t"] as? Double,
                           arrivedWall: d["wall"] as? Double ?? 0,
                           eventTimes: events.map { e in
                               (e["time"] as? String).flatMap { Timestamp(rfc3339: $0) }.map { Double($0.millisecondsSince1970) / 1000 } ?? 0
                           }, chatText: d["chat"] as? String)
        }.filter { path == nil || $0.path == path }
    }

    /// Waits (in the receiver, no polling) until `count` distinct events were accepted at `path`.
    /// - Returns: false after `timeout` seconds.
    public func waitForAccepted(_ count: Int, at path: String, timeout: Double = 30) async throws -> Bool {
        let r = try await http.perform(HTTPRequest(url: url("/control/wait?path=\(path)&accepted=\(count)&timeout=\(timeout)"),
                                                   timeout: timeout + 5))
        return r.status == 200
    }
}
