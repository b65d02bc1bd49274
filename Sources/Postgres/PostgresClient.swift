import WorkerThreads

/// A PostgreSQL connection owned by an actor that runs on a worker thread of its own, so libpq's blocking calls
/// never occupy Swift's cooperative threads. It connects on first use, and after the connection breaks
/// the next call connects again; every new connection first runs `setUp` (e.g. checking the schema).
public actor PostgresClient {
    private let executor: WorkerThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let options: PostgresConnectionOptions
    private let setUp: @Sendable (PostgresConnection) throws -> Void
    private var connection: PostgresConnection?

    public init(_ options: PostgresConnectionOptions, setUp: @escaping @Sendable (PostgresConnection) throws -> Void = { _ in }) {
        self.options = options
        self.setUp = setUp
        self.executor = WorkerThread(name: "postgres")
    }

    deinit { executor.shutdown() }

    /// Runs `body` on an open connection. A connection error closes the connection, so the next call reconnects.
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) throws -> T {
        let open: PostgresConnection
        if let c = connection, c.isOpen {
            open = c
        } else {
            connection = nil
            let c = try PostgresConnection(options)
            try setUp(c)
            connection = c
            open = c
        }
        do {
            return try body(open)
        } catch let error as PostgresError where error.isConnectionProblem || !open.isOpen {
            connection = nil
            throw error
        }
    }

    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        try withConnection { try $0.query(sql, parameters) }
    }

    /// Closes the connection, if open; the next call connects again.
    public func disconnect() { connection = nil }
}
