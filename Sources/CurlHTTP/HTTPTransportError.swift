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
    /// libcurl's `CURLcode` or `CURLMcode`, when libcurl reported the failure.
    public var code: Int?

    public init(kind: Kind, message: String, code: Int? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    public var description: String { message }
}
