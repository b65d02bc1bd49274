/// Where and how to connect: a TCP host and port or a Unix socket, the database, the user, TLS and timeouts.
public struct MariaDBConnectionOptions: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// A Unix socket path; when set, `host` and `port` are not used.
    public var socket: String?
    public var database: String
    public var user: String
    public var password: String
    /// A CA bundle to verify the server's certificate with; setting it turns TLS on.
    public var caFile: String?
    /// Refuse to run over a connection without TLS.
    public var requireTLS: Bool
    /// Seconds to connect, and to wait for each read and write.
    public var timeout: Double

    public init(host: String = "127.0.0.1", port: Int = 3306, socket: String? = nil, database: String = "asterisk", user: String,
                password: String, caFile: String? = nil, requireTLS: Bool = false, timeout: Double = 5) {
        self.host = host
        self.port = port
        self.socket = socket
        self.database = database
        self.user = user
        self.password = password
        self.caFile = caFile
        self.requireTLS = requireTLS
        self.timeout = timeout
    }

    /// `user@host:port/database` or `user@socket/database`: no password.
    public var redacted: String { "\(user)@\(socket ?? "\(host):\(port)")/\(database)" }
}
