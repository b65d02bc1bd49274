import WorkerThreads

/// A MariaDB connection owned by an actor that runs on a worker thread of its own, so Connector/C's
/// blocking calls never occupy Swift's cooperative threads. It connects on first use; after the
/// connection breaks (or a statement times out) the next call connects again.
public actor MariaDBClient {
    private let executor: WorkerThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    public let options: MariaDBConnectionOptions
    private var connection: MariaDBConnection?

    public init(_ options: MariaDBConnectionOptions) {
        self.options = options
        self.executor = WorkerThread(name: "mariadb")
    }

    deinit { executor.shutdown() }

    /// Runs `sql` on an open connection, connecting first when there is none.
    public func query(_ sql: String) throws(MariaDBError) -> MariaDBResult {
        let open: MariaDBConnection
        if let connection { open = connection } else {
            open = try MariaDBConnection(options)
            connection = open
        }
        do {
            return try open.query(sql)
        } catch {
            if error.needsReconnect { connection = nil }
            throw error
        }
    }

    /// Runs each statement of `script`, an SQL file's text: statements end with `;` at a line's end, and
    /// lines starting with `--` are comments.
    public func run(script: String) throws(MariaDBError) {
        let text = script.split(separator: "\n").filter { !$0.drop { $0 == " " }.hasPrefix("--") }.joined(separator: "\n")
        for statement in text.split(separator: ";\n") {
            let sql = statement.drop { $0 == " " || $0 == "\n" }
            if !sql.isEmpty { _ = try query(sql.hasSuffix(";") ? String(sql.dropLast()) : String(sql)) }
        }
    }

    /// Whether the open connection (if any) runs over TLS.
    public var usesTLS: Bool? { connection?.usesTLS }

    /// Closes the connection, if open.
    public func disconnect() { connection = nil }
}
