/// Where and as whom the `database` mode reads VICIdial's tables: a replica, with a read-only user.
public struct DatabaseLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// A Unix socket; when set, `host` and `port` are not used.
    public var socket: String?
    /// VICIdial's database, `asterisk` on a standard install.
    public var name: String
    public var user: String
    public var password: String
    /// A CA bundle to verify the server with; setting it turns TLS on.
    public var caFile: String?
    public var requireTLS: Bool
    /// Seconds the replica may lag (agents' screens write `last_update_time` every second) before the
    /// source counts as down: its answers are then too old to log anyone out by.
    public var maxLag: Double

    public init(host: String = "127.0.0.1", port: Int = 3306, socket: String? = nil, name: String = "asterisk", user: String,
                password: String, caFile: String? = nil, requireTLS: Bool = false, maxLag: Double = 5) {
        self.host = host
        self.port = port
        self.socket = socket
        self.name = name
        self.user = user
        self.password = password
        self.caFile = caFile
        self.requireTLS = requireTLS
        self.maxLag = maxLag
    }

    /// `mysql://user@host:port/name`, for logs and `source.down` events: no password.
    public var redacted: String { "mysql://\(user)@\(socket.map { "localhost\($0)" } ?? "\(host):\(port)")/\(name)" }
}
