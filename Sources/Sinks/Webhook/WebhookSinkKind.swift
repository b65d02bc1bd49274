import ConfigValidation
import Foundation
import VicinotifyCore

/// `sinks.webhooks_file`: a file of endpoints, `{"endpoints": [...]}`, each its own sink. Problems are
/// reported as `sinks.webhooks[i].key`; relative paths in it are relative to the file.
public struct WebhookSinkKind: SinkKind {
    public let key = "webhooks_file"

    public func configure(_ value: Any?, validator v: inout JSONValidator) -> [any SinkConfiguration] {
        guard let value else { return [] }
        guard let name = value as? String, !name.isEmpty else {
            v.problem("sinks.webhooks_file", "expected the path of the webhooks file")
            return []
        }
        return v.webhooksFile(v.resolve(name))
    }
}

extension WebhookEndpoint: SinkConfiguration {
    public func makeSink(_ context: SinkContext) -> any EventSink { WebhookSink(endpoint: self) }
}

extension JSONValidator {
    mutating func webhooksFile(_ path: String) -> [WebhookEndpoint] {
        guard let data = FileManager.default.contents(atPath: path) else {
            problem("sinks.webhooks_file", "cannot read \(path)")
            return []
        }
        let root: Any
        do {
            root = try JSONDocument.parse(data)
        } catch {
            problem("sinks.webhooks_file", "\(path) is not valid JSON: \(error)")
            return []
        }
        guard let d = object(root, "sinks.webhooks_file", allowed: ["endpoints"]) else { return [] }
        guard let list = d["endpoints"] as? [Any] else {
            problem("sinks.webhooks_file", "expected {\"endpoints\": [...]}")
            return []
        }
        let outer = baseDirectory
        baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        defer { baseDirectory = outer }
        var endpoints: [WebhookEndpoint] = []
        var names: [String: Int] = [:]
        for (i, value) in list.enumerated() {
            let p = "sinks.webhooks[\(i)]"
            guard let e = endpoint(value, p) else { continue }
            if let j = names[e.name] { problem(p + ".name", "'\(e.name)' is already the name of sinks.webhooks[\(j)]") }
            names[e.name] = names[e.name] ?? i
            endpoints.append(e)
        }
        return endpoints
    }

    private mutating func format(_ d: [String: Any], _ p: String) -> WebhookFormat {
        guard let text = string(d, "format", p) else { return .cloudevents }
        guard let f = WebhookFormat(rawValue: text) else {
            problem(p + ".format", "expected \"cloudevents\" or \"chat\"")
            return .cloudevents
        }
        return f
    }

    /// Request headers that vicinotify sets itself.
    static let reservedHeaders: Set<String> = ["content-type", "content-length", "host", "transfer-encoding",
                                               "webhook-id", "webhook-timestamp", "webhook-signature"]

    private mutating func endpoint(_ value: Any, _ p: String) -> WebhookEndpoint? {
        let allowed = ["name", "url", "secret", "secret_env", "secret_file", "events", "filter", "headers", "timeout", "connect_timeout",
                       "concurrency", "retry", "batch", "ca_file", "heartbeat", "format"]
        guard let d = object(value, p, allowed: allowed) else { return nil }
        let before = problems.count
        let name = self.name(d, p)
        let (url, components) = httpURL(d, p)
        if let u = components, u.user != nil || u.password != nil {
            problem(p + ".url", "must not carry credentials; send them in headers")
        }
        var signer: WebhookSigner?
        if let secret = secret(d, "secret", p, required: false) {
            do { signer = try WebhookSigner(secrets: secret.value) } catch { problem(secret.path, "\(error)") }
        }
        let events = strings(d, "events", p)
        if let bad = EventFilter.unmatchablePattern(in: events) {
            problem(p + ".events", "'\(bad)' matches no event type (vicidial.agent.*, vicidial.source.*)")
        }
        var filter = EventFilter(types: events)
        if let f = d["filter"], let o = object(f, p + ".filter", allowed: ["sources", "campaigns", "user_groups", "agents"]) {
            let fp = p + ".filter"
            filter.sources = strings(o, "sources", fp)
            filter.campaigns = strings(o, "campaigns", fp)
            filter.userGroups = strings(o, "user_groups", fp)
            filter.agents = strings(o, "agents", fp)
        }
        var headers: [(name: String, value: String)] = []
        if let o = d["headers"] as? [String: Any] {
            for key in o.keys.sorted() {
                let hp = "\(p).headers.\(key)"
                let token = !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }
                if !token { problem(hp, "not a valid header name") }
                if Self.reservedHeaders.contains(key.lowercased()) { problem(hp, "set by vicinotify itself") }
                // Bytes, not Characters: "\r\n" is one Character, and a NUL would cut the value short.
                guard let v = o[key] as? String, !v.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) else {
                    problem(hp, "expected a string on one line, without control characters")
                    continue
                }
                headers.append((key, v))
            }
        } else if d["headers"] != nil {
            problem(p + ".headers", "expected an object of header names to values")
        }
        let timeout = duration(d, "timeout", p, default: 10, range: 0.1...600)
        let connectTimeout = duration(d, "connect_timeout", p, default: min(5, timeout), range: 0.1...600)
        var maxEvents = 1
        var maxWait = 0.0
        if let b = d["batch"], let o = object(b, p + ".batch", allowed: ["max_events", "max_wait"]) {
            maxEvents = int(o, "max_events", p + ".batch", default: 1, range: 1...1000)
            maxWait = duration(o, "max_wait", p + ".batch", default: 0, allowZero: true, range: 0.001...3600)
        }
        let endpoint = WebhookEndpoint(
            name: name, url: url, signer: signer, filter: filter, headers: headers, timeout: timeout,
            connectTimeout: connectTimeout, concurrency: int(d, "concurrency", p, default: 8, range: 1...256),
            retry: d["retry"].map { retry($0, p + ".retry") } ?? RetryPolicy(),
            batchMaxEvents: maxEvents, batchMaxWait: maxWait, caFile: string(d, "ca_file", p).map(resolve),
            heartbeat: heartbeat(d, p, filter: filter), format: format(d, p))
        return problems.count == before ? endpoint : nil
    }
}
