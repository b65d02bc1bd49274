/// What went wrong talking to MariaDB: the step, MariaDB's error number and SQLSTATE, and its message.
/// Never contains a password: Connector/C's messages name the user and host, not the password.
public struct MariaDBError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What the error means for the caller.
    public enum Kind: String, Sendable, Equatable {
        /// Wrong user or password, or no access to the database (1044, 1045, 1698).
        case accessDenied = "access_denied"
        /// The user may not read a table or a column the query needs (1142, 1143).
        case permissionDenied = "permission_denied"
        /// A table or a column is missing: another VICIdial version's schema (1146, 1054).
        case schema
        /// The statement ran past its time (`MAX_STATEMENT_TIME`: 1969; or the read timeout).
        case timeout
        /// The server could not be reached, or the connection broke (2002, 2003, 2005, 2006, 2013, 2055).
        case connection
        /// TLS was required and could not be set up (2026).
        case tls
        /// Anything else the server or the client reported.
        case other
    }

    /// The Connector/C function that failed.
    public var function: String
    /// MariaDB's error number (1045, 2003, …); 0 for errors found here.
    public var number: UInt32
    /// The five-character SQLSTATE (`28000`, `42S02`, `HY000`, …).
    public var sqlState: String
    public var message: String

    public init(function: String, number: UInt32, sqlState: String, message: String) {
        self.function = function
        self.number = number
        self.sqlState = sqlState
        self.message = message
    }

    public var kind: Kind {
        switch number {
        case 1044, 1045, 1698: .accessDenied
        case 1142, 1143: .permissionDenied
        case 1146, 1054: .schema
        case 1969, 3024: .timeout
        case 2013 where message.localizedLowercase.contains("timeout") || message.contains("timed out"): .timeout
        case 2002, 2003, 2005, 2006, 2013, 2055: .connection
        case 2026: .tls
        default: .other
        }
    }

    /// Whether the connection must be opened again before the next statement.
    public var needsReconnect: Bool { kind == .connection || kind == .timeout || number >= 2000 }

    public var description: String { "MariaDB error \(number) (SQLSTATE \(sqlState)) in \(function): \(message)" }
}
