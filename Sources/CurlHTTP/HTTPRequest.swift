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

/// A complete HTTP response. Redirects are never followed, so a 3xx arrives here as itself.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The header block of the final response as received (after any `100 Continue`), parsed on demand.
    public var rawHeaders: [UInt8]
    public var body: [UInt8]
    /// Whether the transfer reused a kept-alive connection.
    public var reusedConnection: Bool
    /// Seconds from the start of the transfer to its end (libcurl's `CURLINFO_TOTAL_TIME`).
    public var totalSeconds: Double
    /// The body went past the request's `maxResponseBytes`: `body` holds its first bytes only, and the
    /// rest was never read.
    public var truncated: Bool

    public init(status: Int, rawHeaders: [UInt8], body: [UInt8], reusedConnection: Bool, totalSeconds: Double = 0,
                truncated: Bool = false) {
        self.truncated = truncated
        self.status = status
        self.rawHeaders = rawHeaders
        self.body = body
        self.reusedConnection = reusedConnection
        self.totalSeconds = totalSeconds
    }

    /// Header lines in order, names as sent.
    public var headers: [(name: String, value: String)] {
        String(decoding: rawHeaders, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line in
            guard !line.hasPrefix("HTTP/"), let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// Why a transfer produced no HTTP response.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case timeout, connect, tls, other
        /// The transport was shut down or the waiting task was cancelled.
        case cancelled
    }

    public var kind: Kind
    /// libcurl's own description. Names host and port, never the URL's query.
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
