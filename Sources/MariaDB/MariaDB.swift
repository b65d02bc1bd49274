import CMariaDB

/// The one funnel for Connector/C's results: every call that reports a status goes through `call` or
/// `handle`, which turn a failure into a `MariaDBError` with the connection's error number, SQLSTATE and
/// message, so no result is dropped.
enum MariaDB {
    /// Connector/C's global set-up, once per process, before any thread uses the library.
    static let libraryReady: Bool = mysql_server_init(0, nil, nil) == 0

    /// Runs `body` (a call returning 0 on success) and throws the connection's error when it fails.
    static func call(_ function: String, on mysql: UnsafeMutablePointer<MYSQL>, _ body: () -> Int32) throws(MariaDBError) {
        if body() != 0 { throw error(function, mysql) }
    }

    /// Runs `body` (a call returning a pointer, `nil` on failure) and throws the connection's error when it fails.
    static func handle<T>(_ function: String, on mysql: UnsafeMutablePointer<MYSQL>, _ body: () -> T?) throws(MariaDBError) -> T {
        guard let value = body() else { throw error(function, mysql) }
        return value
    }

    /// The error the connection holds after `function` failed.
    static func error(_ function: String, _ mysql: UnsafeMutablePointer<MYSQL>) -> MariaDBError {
        let number = mysql_errno(mysql)
        let sqlState = mysql_sqlstate(mysql).map { String(cString: $0) } ?? "HY000"
        let message = mysql_error(mysql).map { String(cString: $0) } ?? ""
        return MariaDBError(function: function, number: number, sqlState: sqlState,
                            message: message.isEmpty ? "failed without a message" : message)
    }
}
