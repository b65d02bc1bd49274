import CSQLite

/// What SQLite said when something failed.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    /// SQLite's primary result code (`SQLITE_FULL`, `SQLITE_IOERR`, …).
    public var code: Int32
    public var message: String
    /// The disk (or the file system's quota) is full: polling must pause, nothing may be dropped.
    public var isDiskFull: Bool { code & 0xFF == SQLITE_FULL }
    public var description: String { "journal: \(message) (SQLite error \(code))" }
}

/// One SQLite connection. Not thread-safe: owned by one actor.
final class SQLiteConnection {
    let db: OpaquePointer

    init(path: String) throws(JournalError) {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            let closed = sqlite3_close(handle)  // frees what the failed open allocated
            let closing = closed == SQLITE_OK ? "" : "; closing it: \(String(cString: sqlite3_errstr(closed)))"
            throw JournalError(code: rc, message: "\(path): \(message)\(closing)")
        }
        db = handle
        try call { sqlite3_busy_timeout(db, 5000) }
    }

    deinit { sqlite3_close_v2(db) }

    func exec(_ sql: String) throws(JournalError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(error)
            throw JournalError(code: rc, message: message)
        }
    }

    func prepare(_ sql: String) throws(JournalError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw failure(rc) }
        return Statement(stmt: stmt, connection: self)
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    func transaction<T>(_ body: () throws(JournalError) -> T) throws(JournalError) -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try exec("COMMIT")
            return value
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// The one funnel for SQLite's result codes: it makes the call, and anything but `SQLITE_OK` throws
    /// what SQLite said.
    func call(_ body: () -> Int32) throws(JournalError) {
        let rc = body()
        if rc != SQLITE_OK { throw failure(rc) }
    }

    func failure(_ rc: Int32) -> JournalError {
        JournalError(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)))
    }

    var changes: Int { Int(sqlite3_changes(db)) }
}

/// A prepared statement; parameters are 1-based, columns 0-based.
final class Statement {
    let stmt: OpaquePointer
    unowned let connection: SQLiteConnection
    private var lastStepFailed = false

    init(stmt: OpaquePointer, connection: SQLiteConnection) {
        self.stmt = stmt
        self.connection = connection
    }

    deinit { sqlite3_finalize(stmt) }

    @discardableResult
    func bind(_ values: [SQLValue]) throws(JournalError) -> Statement {
        try reset()
        try connection.call { sqlite3_clear_bindings(stmt) }
        for (i, v) in values.enumerated() { try bind(v, at: Int32(i + 1)) }
        return self
    }

    /// Makes the statement ready to run again; bindings are kept until rebound. After a failed step,
    /// SQLite's result repeats that step's error, which the step already threw.
    func reset() throws(JournalError) {
        let reported = lastStepFailed
        lastStepFailed = false
        try connection.call {
            let rc = sqlite3_reset(stmt)
            return reported ? SQLITE_OK : rc
        }
    }

    /// Binds one parameter (1-based) without resetting the statement.
    func bind(_ value: SQLValue, at n: Int32) throws(JournalError) {
        try connection.call {
            switch value {
            case .null: sqlite3_bind_null(stmt, n)
            case .int(let x): sqlite3_bind_int64(stmt, n, x)
            case .text(var s): s.withUTF8 { sqlite3_bind_text(stmt, n, $0.baseAddress, Int32($0.count), csqlite_transient) }
            case .blob(let b): b.withUnsafeBytes { sqlite3_bind_blob(stmt, n, $0.baseAddress, Int32($0.count), csqlite_transient) }
            }
        }
    }

    /// Binds bytes held by a `BindArena` as text or a blob, without SQLite copying them (`SQLITE_STATIC`).
    func bind(_ bytes: UnsafeRawBufferPointer, asText: Bool, at n: Int32) throws(JournalError) {
        try connection.call {
            asText ? sqlite3_bind_text(stmt, n, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
                : sqlite3_bind_blob(stmt, n, bytes.baseAddress, Int32(bytes.count), nil)
        }
    }

    /// Steps to the next row; false when done.
    func step() throws(JournalError) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        lastStepFailed = true
        throw connection.failure(rc)
    }

    /// Runs a statement that returns no rows.
    func run(_ values: [SQLValue] = []) throws(JournalError) {
        try bind(values)
        while try step() {}
    }

    func int(_ col: Int32) -> Int64 { sqlite3_column_int64(stmt, col) }
    func isNull(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_NULL }
    /// The column's text with its stored length: a NUL inside does not cut it short.
    func text(_ col: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, col) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, col))), as: UTF8.self)
    }
    func optionalText(_ col: Int32) -> String? { isNull(col) ? nil : text(col) }
    func blob(_ col: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, col))
        guard n > 0, let p = sqlite3_column_blob(stmt, col) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// One buffer for values bound in place: many rows' texts and blobs are copied into it once and
/// bound without SQLite copying each again. Its bytes must stay untouched until the statement has run.
struct BindArena: ~Copyable {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0

    init(capacity: Int = 1 << 17) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Starts over with room for `bytes`, dropping whatever it held.
    mutating func reset(reserving bytes: Int) {
        used = 0
        guard bytes > capacity else { return }
        base.deallocate()
        capacity = bytes
        base = .allocate(byteCount: bytes, alignment: 16)
    }

    /// A copy of `bytes` inside the arena; the room must have been reserved.
    mutating func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        precondition(used + bytes.count <= capacity, "BindArena: more bytes than reserved")
        let target = base + used
        if let source = bytes.baseAddress { target.copyMemory(from: source, byteCount: bytes.count) }
        used += bytes.count
        return UnsafeRawBufferPointer(start: target, count: bytes.count)
    }

    mutating func copy(_ text: String) -> UnsafeRawBufferPointer {
        var text = text
        return text.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
    }
}

enum SQLValue {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])

    static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
}
