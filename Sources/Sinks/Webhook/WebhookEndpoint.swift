import VicinotifyCore

/// What an endpoint's request body is.
public enum WebhookFormat: String, Sendable, CaseIterable {
    /// The event's CloudEvent JSON (a JSON array of them when batching).
    case cloudevents
    /// `{"text": ...}`, one readable line per event (`ChatMessage`).
    case chat
}

/// One endpoint of the webhooks file: where to POST, how to sign, what to send, how hard to try.
public struct WebhookEndpoint: Sendable {
    public var name: String
    /// An http(s) URL. Only its scheme, host and port ever appear in logs.
    public var url: String
    /// Signs every request; `nil` sends unsigned requests (no `webhook-signature` header).
    public var signer: WebhookSigner?
    public var filter: EventFilter
    /// Extra request headers, sent as given.
    public var headers: [(name: String, value: String)]
    /// Whole-request limit, connecting included.
    public var timeout: Double
    public var connectTimeout: Double
    /// Requests in flight at once.
    public var concurrency: Int
    public var retry: RetryPolicy
    /// Events per request; above 1 the body is a JSON array of events.
    public var batchMaxEvents: Int
    /// How long to wait for a batch to fill; 0 sends what is ready.
    public var batchMaxWait: Double
    /// PEM bundle of CAs to trust instead of the system's.
    public var caFile: String?
    /// Seconds without an event for an agent before a `vicidial.agent.heartbeat`; `nil`: none.
    public var heartbeat: Double?
    public var format: WebhookFormat

    public init(name: String, url: String, signer: WebhookSigner? = nil, filter: EventFilter = EventFilter(),
                headers: [(name: String, value: String)] = [], timeout: Double = 10, connectTimeout: Double = 5,
                concurrency: Int = 8, retry: RetryPolicy = RetryPolicy(), batchMaxEvents: Int = 1,
                batchMaxWait: Double = 0, caFile: String? = nil, heartbeat: Double? = nil,
                format: WebhookFormat = .cloudevents) {
        self.name = name
        self.url = url
        self.signer = signer
        self.filter = filter
        self.headers = headers
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.concurrency = concurrency
        self.retry = retry
        self.batchMaxEvents = batchMaxEvents
        self.batchMaxWait = batchMaxWait
        self.caFile = caFile
        self.heartbeat = heartbeat
        self.format = format
    }

    /// The values of the extra headers (credentials such as a bearer token often travel there), and each
    /// of their words of six characters or more: masked in any answer text that reaches a log.
    public var secretValues: [String] {
        headers.flatMap { h in [h.value] + h.value.split(separator: " ").map(String.init).filter { $0.count >= 6 } }
            .sorted { $0.count > $1.count }
    }

    /// The sink (and journal cursor) name: `webhook:<name>`.
    public var sinkName: String { "webhook:" + name }
}
