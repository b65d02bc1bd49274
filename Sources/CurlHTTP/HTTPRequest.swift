/// One HTTP request for `CurlTransport`.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", delete = "DELETE" }

    public var method: Method
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Whole-transfer limit, connection included.
    public var timeout: Double
    public var connectTimeout: Double
    /// PEM bundle of CAs to trust instead of the system's.
    public var caFile: String?
    /// The most body bytes kept; past it the transfer stops and the response is marked `truncated`.
    public var maxResponseBytes: Int

    public init(method: Method = .get, url: String, headers: [(name: String, value: String)] = [],
                body: [UInt8] = [], timeout: Double = 5, connectTimeout: Double = 3, caFile: String? = nil,
                maxResponseBytes: Int = 16 << 20) {
        self.maxResponseBytes = max(0, maxResponseBytes)
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.caFile = caFile
    }
}
