/// What went wrong talking to PostgreSQL: which step failed, the server's SQLSTATE when it sent one, and
/// its message. Never contains a password: libpq's messages don't, and neither does anything added here.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The connection could not be opened: unreachable server, refused, wrong password, missing database.
        case connect
        /// An open connection broke: server restart, terminated backend, network loss.
        case connectionLost
        /// The server rejected a statement; the connection is still usable.
        case statement
    }

    public var kind: Kind
    /// The five-character SQLSTATE (`28P01` wrong password, `42P01` missing table, …), when the server sent one.
    public var sqlState: String?
    /// The message, with the server's detail and hint when given.
    public var message: String

    public init(kind: Kind, sqlState: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
    }

    /// Whether reconnecting could help: the connection is gone rather than the statement being wrong.
    public var isConnectionProblem: Bool { kind != .statement }

    /// The statement's data was bad (SQLSTATE class 22 or 23): trying the same rows again cannot help.
    public var isDataProblem: Bool { sqlState.map { $0.hasPrefix("22") || $0.hasPrefix("23") } ?? false }

    public var description: String {
        let what: String
        switch kind {
        case .connect: what = "cannot connect to PostgreSQL"
        case .connectionLost: what = "lost the connection to PostgreSQL"
        case .statement: what = "PostgreSQL rejected the statement"
        }
        return sqlState.map { "\(what) (SQLSTATE \($0)): \(message)" } ?? "\(what): \(message)"
    }
}
