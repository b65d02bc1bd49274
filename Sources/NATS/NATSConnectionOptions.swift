/// How to reach a NATS server or cluster, and as whom. Secrets stay in memory, never in messages.
public struct NATSConnectionOptions: Sendable {
    /// `nats://host:port` URLs; several for a cluster.
    public var servers: [String]
    public var user: String?
    public var password: String?
    public var token: String?
    /// A `.creds` file (JWT and NKey seed).
    public var credentialsFile: String?
    /// A PEM bundle of CAs: the connection then requires TLS.
    public var caFile: String?
    /// Seconds to connect.
    public var connectTimeout: Double = 5
    /// Bytes the library may hold for publishes while it reconnects (bounded; JetStream's duplicate window
    /// drops a message that this buffer and a retry both send).
    public var reconnectBufferBytes = 1 << 20
    public var name = "vicinotify"

    public init(servers: [String]) { self.servers = servers }

    /// The server URLs without any `user:password@` in them, for messages.
    public var redactedServers: String {
        servers.map { url in
            guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
            return String(url[..<scheme.upperBound]) + url[url.index(after: at)...]
        }.joined(separator: ",")
    }
}

/// What a connection tells its owner, from the library's own threads: it must not block.
public enum NATSConnectionEvent: Sendable {
    case disconnected
    case reconnected(String)
    /// An asynchronous error from the server (a permissions violation, for example).
    case asyncError(NATSError)
}
