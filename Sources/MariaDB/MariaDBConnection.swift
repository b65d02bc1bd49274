import CMariaDB

/// One blocking connection to MariaDB (Connector/C). Use it from one thread at a time: `MariaDBClient`
/// owns one on a worker thread of its own.
public final class MariaDBConnection {
    private let mysql: UnsafeMutablePointer<MYSQL>
    public let options: MariaDBConnectionOptions

    /// Connects, or throws why not.
    public init(_ options: MariaDBConnectionOptions) throws(MariaDBError) {
        guard MariaDB.libraryReady, let mysql = mysql_init(nil) else {
            throw MariaDBError(function: "mysql_init", number: 0, sqlState: "HY000", message: "cannot set up the MariaDB client library")
        }
        self.mysql = mysql
        self.options = options
        // Once both are set a failure below still runs deinit, which closes the handle.
        var seconds = UInt32(max(1, options.timeout.rounded(.up)))
        for option in [MYSQL_OPT_CONNECT_TIMEOUT, MYSQL_OPT_READ_TIMEOUT, MYSQL_OPT_WRITE_TIMEOUT] {
            try MariaDB.call("mysql_options", on: mysql) { mysql_options(mysql, option, &seconds) }
        }
        if let ca = options.caFile {
            try MariaDB.call("mysql_options(MYSQL_OPT_SSL_CA)", on: mysql) { mysql_options(mysql, MYSQL_OPT_SSL_CA, ca) }
            var verify: my_bool = 1
            try MariaDB.call("mysql_options(MYSQL_OPT_SSL_VERIFY_SERVER_CERT)", on: mysql) {
                return mysql_options(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify)
            }
        }
        if options.requireTLS {
            var enforce: my_bool = 1
            try MariaDB.call("mysql_options(MYSQL_OPT_SSL_ENFORCE)", on: mysql) { mysql_options(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce) }
        }
        try MariaDB.call("mysql_options(MYSQL_SET_CHARSET_NAME)", on: mysql) { mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4") }
        _ = try MariaDB.handle("mysql_real_connect", on: mysql) {
            return mysql_real_connect(mysql, options.socket == nil ? options.host : nil, options.user, options.password, options.database,
                               UInt32(options.port), options.socket, 0)
        }
        // Connector/C 3.3 connects in plain text to a server without TLS even when told to enforce it.
        if options.requireTLS, mysql_get_ssl_cipher(mysql) == nil {
            throw MariaDBError(function: "mysql_real_connect", number: 2026, sqlState: "HY000",
                               message: "TLS is required but the connection to \(options.redacted) is not encrypted (the server's have_ssl is off?)")
        }
    }

    deinit { mysql_close(mysql) }

    /// Whether the connection runs over TLS.
    public var usesTLS: Bool { mysql_get_ssl_cipher(mysql) != nil }

    /// Runs one statement and returns its rows, every value as text (`nil` for SQL NULL).
    public func query(_ sql: String) throws(MariaDBError) -> MariaDBResult {
        var bytes = Array(sql.utf8)
        let count = UInt(bytes.count)
        try bytes.withUnsafeMutableBufferPointer { buffer throws(MariaDBError) in
            try buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { text throws(MariaDBError) in
                try MariaDB.call("mysql_real_query", on: mysql) { mysql_real_query(mysql, text, count) }
            }
        }
        guard mysql_field_count(mysql) > 0 else { return MariaDBResult(columns: [], rows: []) }
        let result = try MariaDB.handle("mysql_store_result", on: mysql) { mysql_store_result(mysql) }
        defer { mysql_free_result(result) }
        let width = Int(mysql_num_fields(result))
        let fields = mysql_fetch_fields(result)
        let columns = (0..<width).map { i in fields.map { String(cString: $0[i].name) } ?? "column \(i)" }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(mysql_num_rows(result)))
        while let row = mysql_fetch_row(result) {
            guard let lengths = mysql_fetch_lengths(result) else { break }
            rows.append((0..<width).map { i in
                row[i].map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(lengths[i])), as: UTF8.self) }
            })
        }
        // A row fetch that stopped early reports the reason on the connection.
        if mysql_errno(mysql) != 0 { throw MariaDB.error("mysql_fetch_row", mysql) }
        return MariaDBResult(columns: columns, rows: rows)
    }
}

/// The rows of one statement, every value as text.
public struct MariaDBResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String?]]

    /// The index of each column by name.
    public var columnIndex: [String: Int] { Dictionary(columns.enumerated().map { ($1, $0) }) { a, _ in a } }
}
