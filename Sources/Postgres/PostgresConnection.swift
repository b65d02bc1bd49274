import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where and how to connect: a libpq conninfo string or URI, and a password kept apart from it so
/// that it can come from the environment and never appears in a logged conninfo.
public struct PostgresConnectionOptions: Sendable {
    /// `host=… port=… dbname=… user=…` or `postgresql://…`; any libpq keyword works, including `sslmode`.
    public var conninfo: String
    public var password: String?
    /// Shown in `pg_stat_activity`.
    public var applicationName: String
    /// Seconds; libpq's `connect_timeout`, unless the conninfo sets its own.
    public var connectTimeout: Int

    public init(conninfo: String, password: String? = nil, applicationName: String = "vicinotify",
                connectTimeout: Int = 5) {
        self.conninfo = conninfo
        self.password = password
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
    }
}

/// A `NOTIFY` received on a channel this connection listens on.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var backendPID: Int32
}

/// One libpq connection. Every call blocks the calling thread, so a connection belongs to exactly one
/// thread or to an actor running on its own queue (`PostgresClient`), never to Swift's cooperative pool.
public final class PostgresConnection {
    private let conn: OpaquePointer
    private var pending: [PostgresNotification] = []

    /// Connects, or throws a `.connect` error carrying libpq's message.
    public init(_ options: PostgresConnectionOptions) throws {
        // The conninfo (expanded from `dbname`) overrides the keywords before it; `password` overrides it.
        var keywords = ["connect_timeout", "application_name", "dbname"]
        var values = [String(options.connectTimeout), options.applicationName, options.conninfo]
        if let password = options.password {
            keywords.append("password")
            values.append(password)
        }
        let connection = Self.withCStrings(keywords) { k in
            Self.withCStrings(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let connection else { throw PostgresError(kind: .connect, message: "out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.clean(PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(kind: .connect, message: message)
        }
        // Server notices ("relation already exists, skipping") would go to standard error.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        conn = connection
    }

    deinit { PQfinish(conn) }

    /// Whether libpq still considers the connection usable.
    public var isOpen: Bool { PQstatus(conn) == CONNECTION_OK }

    /// The server process serving this connection.
    public var backendPID: Int32 { PQbackendPID(conn) }

    /// Runs one statement with text parameters `$1…$n` (`nil` is SQL NULL) and returns its rows as text.
    /// No SQL is ever built from `parameters`.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        try query(sql, bytes: parameters.map { $0.map { Array($0.utf8) } })
    }

    /// `query` with parameters given as UTF-8 bytes, so that encoded events are sent without a copy into `String`.
    @discardableResult
    public func query(_ sql: String, bytes parameters: [[UInt8]?]) throws -> [[String?]] {
        // One buffer holds every parameter, each NUL-terminated as libpq's text format requires.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(parameters.reduce(0) { $0 + ($1?.count ?? 0) + 1 })
        var offsets: [Int?] = []
        offsets.reserveCapacity(parameters.count)
        for p in parameters {
            guard let p else { offsets.append(nil); continue }
            offsets.append(buffer.count)
            buffer.append(contentsOf: p)
            buffer.append(0)
        }
        let result = try run {
            buffer.withUnsafeBufferPointer { raw in
                let base = UnsafeRawPointer(raw.baseAddress).map { $0.assumingMemoryBound(to: CChar.self) }
                let pointers: [UnsafePointer<CChar>?] = offsets.map { o in o.flatMap { base?.advanced(by: $0) } }
                return pointers.withUnsafeBufferPointer { PQexecParams(conn, sql, Int32(parameters.count), nil, $0.baseAddress, nil, nil, 0) }
            }
        }
        defer { PQclear(result) }
        let rows = PQntuples(result), columns = PQnfields(result)
        return (0..<rows).map { r in
            (0..<columns).map { c in PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c)) }
        }
    }

    /// Runs a script of statements without parameters, all in one implicit transaction.
    public func execute(script: String) throws {
        PQclear(try run { PQexec(conn, script) })
    }

    /// The one funnel for libpq's statements: makes the call, collects the notifications it brought, and
    /// hands back its result (for the caller to clear) only when the statement succeeded; otherwise clears
    /// it and throws what the server said (SQLSTATE, message, detail, hint), or that the connection broke.
    private func run(_ call: () -> OpaquePointer?) throws(PostgresError) -> OpaquePointer {
        let result = call()
        collectNotifications()
        guard let result, [PGRES_COMMAND_OK, PGRES_TUPLES_OK].contains(PQresultStatus(result)) else {
            defer { PQclear(result) }
            throw error(from: result)
        }
        return result
    }

    /// `LISTEN` on `channel`, a name `PostgresIdentifier` accepts.
    public func listen(_ channel: String) throws {
        try query("LISTEN " + PostgresIdentifier.quoted(channel))
    }

    /// Notifications that arrived, waiting up to `timeout` seconds for the first. Throws `.connectionLost`
    /// when the connection broke.
    public func notifications(timeout: Double) throws -> [PostgresNotification] {
        collectNotifications()
        if pending.isEmpty, timeout > 0 {
            var descriptor = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
            guard descriptor.fd >= 0 else { throw connectionLost() }
            let ready = poll(&descriptor, 1, Int32(timeout * 1000))
            if ready > 0 {
                guard PQconsumeInput(conn) == 1 else { throw connectionLost() }
                collectNotifications()
            }
        }
        defer { pending.removeAll() }
        return pending
    }

    private func collectNotifications() {
        while let n = PQnotifies(conn) {
            pending.append(PostgresNotification(channel: String(cString: n.pointee.relname),
                                                payload: String(cString: n.pointee.extra), backendPID: n.pointee.be_pid))
            PQfreemem(n)
        }
    }

    private func error(from result: OpaquePointer?) -> PostgresError {
        guard let result, PQresultStatus(result) == PGRES_FATAL_ERROR || PQresultStatus(result) == PGRES_NONFATAL_ERROR,
              let state = PQresultErrorField(result, clibpq_diag_sqlstate) else {
            return isOpen ? PostgresError(kind: .statement, message: Self.clean(PQerrorMessage(conn))) : connectionLost()
        }
        let sqlState = String(cString: state)
        // 57P01..57P03: the server is shutting down or restarting; 08xxx: connection exceptions.
        if !isOpen || sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") {
            return PostgresError(kind: .connectionLost, sqlState: sqlState, message: Self.clean(PQresultErrorMessage(result)))
        }
        var message = PQresultErrorField(result, clibpq_diag_message_primary).map { String(cString: $0) } ?? Self.clean(PQresultErrorMessage(result))
        if let detail = PQresultErrorField(result, clibpq_diag_message_detail) { message += "; " + String(cString: detail) }
        if let hint = PQresultErrorField(result, clibpq_diag_message_hint) { message += " (hint: " + String(cString: hint) + ")" }
        return PostgresError(kind: .statement, sqlState: sqlState, message: message)
    }

    private func connectionLost() -> PostgresError {
        let message = Self.clean(PQerrorMessage(conn))
        return PostgresError(kind: .connectionLost, message: message.isEmpty ? "the server closed the connection" : message)
    }

    /// libpq's messages end in newlines and sometimes repeat "FATAL:  " prefixes on several lines.
    private static func clean(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "" }
        return String(cString: text).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return s
    }
}
