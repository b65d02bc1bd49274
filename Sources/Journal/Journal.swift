import Foundation
import WorkerThreads
import VicinotifyCore

/// An event as stored in the journal: its position (a journal-wide order) and its bytes.
public struct JournaledEvent: Sendable, Hashable {
    public var position: Int64
    public var event: EncodedEvent

    public init(position: Int64, event: EncodedEvent) {
        self.position = position
        self.event = event
    }
}

/// Retry bookkeeping of one undelivered event on one sink.
public struct RetryState: Sendable, Equatable {
    public var attempts: Int
    public var firstAttempt: Timestamp
    public var nextAttempt: Timestamp
    public var lastError: String

    public init(attempts: Int, firstAttempt: Timestamp, nextAttempt: Timestamp, lastError: String) {
        self.attempts = attempts
        self.firstAttempt = firstAttempt
        self.nextAttempt = nextAttempt
        self.lastError = lastError
    }
}

/// An event a sink gave up on, kept for inspection and `dead-letters retry`.
public struct DeadLetter: Sendable, Equatable {
    public var sink: String
    public var position: Int64
    public var event: EncodedEvent
    public var attempts: Int
    public var lastError: String
    public var deadAt: Timestamp

    public init(sink: String, position: Int64, event: EncodedEvent, attempts: Int, lastError: String, deadAt: Timestamp) {
        self.sink = sink
        self.position = position
        self.event = event
        self.attempts = attempts
        self.lastError = lastError
        self.deadAt = deadAt
    }
}

/// The durable heart of the pipeline, one SQLite file (WAL, `synchronous=FULL`) under `state_dir`.
///
/// A poll's events and the changed rows of its source's snapshot commit in one transaction before any
/// sink sees them. Each sink reads the journal through its own cursor and keeps its retry state and dead
/// letters here, so a restart neither repeats a change nor misses one, and a backlog lives on disk.
/// Every SQLite call runs on the journal's own thread, never on Swift's cooperative pool.
public actor Journal {
    private let executor: WorkerThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let db: SQLiteConnection
    private let checkpointer: Checkpointer
    /// Applies a poll's changes to its snapshot blocks while the journal thread inserts its events.
    private let snapshotWorker = WorkerThread(name: "journal-snapshot")
    public nonisolated let path: String

    /// Opens (creating if needed) `directory/journal.sqlite`.
    /// - Parameter maxBytes: a cap on the file's size; reaching it is a full disk (`JournalError.isDiskFull`).
    public init(directory: String, maxBytes: Int? = nil) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
            throw JournalError(code: 14, message: "cannot create the state directory \(directory): \(posix ?? error.localizedDescription)")
        }
        path = (directory as NSString).appendingPathComponent("journal.sqlite")
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0,
           ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int ?? 0) == 0 {
            // Starting afresh would announce every agent again and restart every sequence.
            throw JournalError(code: 26, message: "\(path) is empty (0 bytes): it was truncated or replaced. Restore it, "
                               + "or move it away to start a new journal (event sequences then start again at 1)")
        }
        executor = WorkerThread(name: "journal")
        db = try SQLiteConnection(path: path)
        try db.exec("""
            PRAGMA page_size=16384;  -- on a new file: fewer, larger writes for ~1 KB events
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            PRAGMA wal_autocheckpoint=0;  -- the Checkpointer does it, off the commit path
            PRAGMA journal_size_limit=16777216;  -- a WAL that was checkpointed is cut back to 16 MB
            CREATE TABLE IF NOT EXISTS events(
              position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, source TEXT NOT NULL,
              sequence INTEGER NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL, campaign_id TEXT NOT NULL,
              user_group TEXT NOT NULL, time_ms INTEGER NOT NULL, json BLOB NOT NULL,
              only_sink TEXT);  -- set on copies made by replay and dead-letter retry
            -- No secondary indexes: each would cost every commit, and only replay (rare, bounded by the
            -- retained tail) searches by time or sequence.
            CREATE TABLE IF NOT EXISTS sources(name TEXT PRIMARY KEY, last_sequence INTEGER NOT NULL);
            -- Each source's logged-in agents in SnapshotBlock.count blobs by a hash of the user: a poll
            -- rewrites the blocks it touched, not one row per changed agent (10,000 upserts cost ~25 ms).
            CREATE TABLE IF NOT EXISTS snapshot_blocks(
              source TEXT NOT NULL, block INTEGER NOT NULL, agents BLOB NOT NULL,
              PRIMARY KEY(source, block)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS cursors(sink TEXT PRIMARY KEY, position INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS retries(
              sink TEXT NOT NULL, position INTEGER NOT NULL, attempts INTEGER NOT NULL, first_attempt_ms INTEGER NOT NULL,
              next_attempt_ms INTEGER NOT NULL, last_error TEXT NOT NULL, PRIMARY KEY(sink, position)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS dead_letters(
              sink TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL,
              sequence INTEGER NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL, campaign_id TEXT NOT NULL,
              user_group TEXT NOT NULL, time_ms INTEGER NOT NULL, json BLOB NOT NULL, attempts INTEGER NOT NULL,
              last_error TEXT NOT NULL, dead_at_ms INTEGER NOT NULL, PRIMARY KEY(sink, position));
            """)
        let check = try db.prepare("PRAGMA quick_check")
        if try check.step(), check.text(0) != "ok" {
            throw JournalError(code: 11, message: "\(path) is damaged (\(check.text(0).prefix(200))): restore it, or move it away")
        }
        check.reset()
        try Self.migrateAgentRows(db)
        if let maxBytes { try db.exec("PRAGMA max_page_count = \(max(1, maxBytes / 16384))") }
        checkpointer = Checkpointer(path: path)
    }

    deinit {
        executor.shutdown()
        snapshotWorker.shutdown()
    }

    /// The threads this journal runs on, for tests that check none outlives it.
    nonisolated var workers: [WorkerThread] { [executor, snapshotWorker, checkpointer.worker] }

    // MARK: - Sources

    /// The persisted snapshot and sequence of a source, or an empty floor for a new one.
    public func restore(source: String) throws -> (floor: AgentFloor, lastSequence: UInt64) {
        let seq = try db.prepare("SELECT last_sequence FROM sources WHERE name = ?").bind([.text(source)])
        let last = try seq.step() ? UInt64(seq.int(0)) : 0
        let q = try db.prepare("SELECT block, agents FROM snapshot_blocks WHERE source = ?").bind([.text(source)])
        var rows: [ObservedAgent] = []
        while try q.step() {
            guard let records = SnapshotBlock.records(q.blob(1)) else {
                throw JournalError(code: 11, message: "the stored snapshot block \(q.int(0)) of source \(source) is damaged")
            }
            for record in records {
                guard let state = AgentRecord.decode(record.state, user: record.user) else {
                    throw JournalError(code: 11, message: "the stored state of agent \(record.user) is damaged")
                }
                rows.append(SnapshotBlock.observed(state, sinceField: record.since))
            }
        }
        return (AgentFloor(rows), last)
    }

    /// Journals written before snapshot blocks kept one `agents` row per agent: move them into blocks.
    private static func migrateAgentRows(_ db: SQLiteConnection) throws(JournalError) {
        let exists = try db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'agents'")
        guard try exists.step() else { return }
        exists.reset()
        try db.transaction { () throws(JournalError) in
            let q = try db.prepare("SELECT source, user, state, since_ms FROM agents")
            var blocks: [String: [Int: [UInt8]]] = [:]
            while try q.step() {
                let user = q.text(1)
                SnapshotBlock.append(user: Array(user.utf8), state: q.blob(2), since: q.int(3),
                                     to: &blocks[q.text(0), default: [:]][SnapshotBlock.index(of: user), default: []])
            }
            let write = try db.prepare("INSERT OR REPLACE INTO snapshot_blocks(source, block, agents) VALUES (?, ?, ?)")
            for (source, byIndex) in blocks {
                for (index, block) in byIndex { try write.run([.text(source), .int(Int64(index)), .blob(block)]) }
            }
            q.reset()  // an unfinished read of the table would keep DROP from running
            try db.exec("DROP TABLE agents")
        }
    }

    /// Commits one poll: its events, the snapshot blocks they changed and the source's sequence, atomically.
    /// - Returns: the journal position of the last event (or the current last position if there are none).
    @discardableResult
    public func commit(source: String, events: [EncodedEvent], changes: [AgentChange], at time: Timestamp,
                       lastSequence: UInt64) throws -> Int64 {
        defer { checkpointer.poke() }
        return try db.transaction { () throws(JournalError) in
            let snapshot = try beginSnapshotUpdate(source: source, changes: changes, at: time)
            try insert(events)
            try write(snapshot)
            try db.prepare("INSERT OR REPLACE INTO sources(name, last_sequence) VALUES (?, ?)")
                .run([.text(source), .int(Int64(lastSequence))])
            return try lastPosition()
        }
    }

    /// Reads the snapshot blocks that `changes` touch and applies the changes to them on the snapshot
    /// queue, while this thread goes on (inserting the poll's events); `write` stores the result.
    private func beginSnapshotUpdate(source: String, changes: [AgentChange],
                                     at time: Timestamp) throws(JournalError) -> PendingSnapshot {
        let users = changes.map(\.user)
        let blockOf = users.map(SnapshotBlock.index(of:))
        var stored = [[UInt8]?](repeating: nil, count: SnapshotBlock.count)  // nil: untouched
        let read = try db.prepare("SELECT agents FROM snapshot_blocks WHERE source = ? AND block = ?")
        for index in Set(blockOf) {
            read.reset()
            try read.bind(.text(source), at: 1)
            try read.bind(.int(Int64(index)), at: 2)
            stored[index] = try read.step() ? read.blob(0) : []
        }
        let pending = PendingSnapshot(source: source)
        let blocks = stored
        snapshotWorker.submit {
            var touched = [[SnapshotBlock.Change]](repeating: [], count: SnapshotBlock.count)
            for (i, c) in changes.enumerated() {
                touched[blockOf[i]].append((users[i], c.current, SnapshotBlock.sinceField(c.since, known: c.sinceKnown)))
            }
            pending.finish(blocks.indices.compactMap { index in
                blocks[index].map { (index, SnapshotBlock.applying(touched[index], to: $0)) }
            })
        }
        return pending
    }

    /// Waits for `pending` and writes its blocks (deleting those left empty).
    private func write(_ pending: PendingSnapshot) throws(JournalError) {
        let write = try db.prepare("INSERT OR REPLACE INTO snapshot_blocks(source, block, agents) VALUES (?, ?, ?)")
        let delete = try db.prepare("DELETE FROM snapshot_blocks WHERE source = ? AND block = ?")
        for (index, block) in pending.wait() {
            guard let block else {
                throw JournalError(code: 11, message: "the stored snapshot block \(index) of source \(pending.source) is damaged")
            }
            if block.isEmpty {
                try delete.run([.text(pending.source), .int(Int64(index))])
            } else {
                try write.run([.text(pending.source), .int(Int64(index)), .blob(block)])
            }
        }
    }

    /// Inserts `events`, 100 rows per statement: per-statement and per-value overhead, not I/O, dominates a
    /// large poll, so each statement's values are copied once into one arena and bound in place.
    private func insert(_ events: [EncodedEvent]) throws(JournalError) {
        let perStatement = 100
        let tuple = "(" + Array(repeating: "?", count: 9).joined(separator: ", ") + ")"
        var prepared: [Int: Statement] = [:]
        var arena = BindArena()
        var start = 0
        while start < events.count {
            let rows = events[start..<min(start + perStatement, events.count)]
            if prepared[rows.count] == nil {
                prepared[rows.count] = try db.prepare("INSERT INTO events(\(Self.valueColumns)) VALUES "
                                                      + Array(repeating: tuple, count: rows.count).joined(separator: ", "))
            }
            let statement = prepared[rows.count]!
            statement.reset()
            arena.reset(reserving: rows.reduce(0) { total, e in
                total + e.id.utf8.count + e.sourceName.utf8.count + e.type.rawValue.utf8.count + e.subject.utf8.count
                    + e.campaignID.utf8.count + e.userGroup.utf8.count + e.json.count
            })
            for (r, e) in rows.enumerated() {
                let p = Int32(r * 9)
                try statement.bind(arena.copy(e.id), asText: true, at: p + 1)
                try statement.bind(arena.copy(e.sourceName), asText: true, at: p + 2)
                try statement.bind(.int(Int64(e.sequence)), at: p + 3)
                try statement.bind(arena.copy(e.type.rawValue), asText: true, at: p + 4)
                try statement.bind(arena.copy(e.subject), asText: true, at: p + 5)
                try statement.bind(arena.copy(e.campaignID), asText: true, at: p + 6)
                try statement.bind(arena.copy(e.userGroup), asText: true, at: p + 7)
                try statement.bind(.int(e.time.millisecondsSince1970), at: p + 8)
                try statement.bind(e.json.withUnsafeBytes { arena.copy($0) }, asText: false, at: p + 9)
            }
            while try statement.step() {}
            start += rows.count
        }
    }

    private static func values(_ e: EncodedEvent) -> [SQLValue] {
        [.text(e.id), .text(e.sourceName), .int(Int64(e.sequence)), .text(e.type.rawValue), .text(e.subject),
         .text(e.campaignID), .text(e.userGroup), .int(e.time.millisecondsSince1970), .blob(e.json)]
    }

    /// An event's columns, in the order of `values(_:)`; every table holding events uses them.
    private static let valueColumns = "id, source, sequence, type, subject, campaign_id, user_group, time_ms, json"
    private static let eventColumns = "position, " + valueColumns

    private static func event(_ q: Statement, from col: Int32 = 0) -> JournaledEvent {
        JournaledEvent(position: q.int(col), event: EncodedEvent(
            id: q.text(col + 1), sequence: UInt64(q.int(col + 3)), type: EventType(rawValue: q.text(col + 4)) ?? .updated,
            subject: q.text(col + 5), sourceName: q.text(col + 2), campaignID: q.text(col + 6), userGroup: q.text(col + 7),
            time: Timestamp(millisecondsSince1970: q.int(col + 8)), json: q.blob(col + 9)))
    }

    /// Bytes on disk: the database and its write-ahead log.
    public nonisolated var sizeInBytes: Int {
        [path, path + "-wal"].reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        }
    }

    public func lastPosition() throws(JournalError) -> Int64 {
        let q = try db.prepare("SELECT COALESCE(MAX(position), 0) FROM events")
        _ = try q.step()
        return q.int(0)
    }

    // MARK: - Sinks

    /// The sink's cursor: every event at or below it is delivered or dead-lettered. A sink seen for the
    /// first time starts at the end of the journal (history is available through `replay`).
    public func cursor(sink: String) throws -> Int64 {
        let q = try db.prepare("SELECT position FROM cursors WHERE sink = ?").bind([.text(sink)])
        if try q.step() { return q.int(0) }
        let end = try lastPosition()
        try db.prepare("INSERT INTO cursors(sink, position) VALUES (?, ?)").run([.text(sink), .int(end)])
        return end
    }

    /// Events after `position` that `sink` should see, in order.
    public func events(for sink: String, after position: Int64, limit: Int) throws -> [JournaledEvent] {
        let q = try db.prepare("""
            SELECT \(Self.eventColumns) FROM events
            WHERE position > ? AND (only_sink IS NULL OR only_sink = ?) ORDER BY position LIMIT ?
            """).bind([.int(position), .text(sink), .int(Int64(limit))])
        var out: [JournaledEvent] = []
        while try q.step() { out.append(Self.event(q)) }
        return out
    }

    public func retries(sink: String) throws -> [Int64: RetryState] {
        let q = try db.prepare("SELECT position, attempts, first_attempt_ms, next_attempt_ms, last_error FROM retries WHERE sink = ?")
            .bind([.text(sink)])
        var out: [Int64: RetryState] = [:]
        while try q.step() {
            out[q.int(0)] = RetryState(attempts: Int(q.int(1)), firstAttempt: Timestamp(millisecondsSince1970: q.int(2)),
                                       nextAttempt: Timestamp(millisecondsSince1970: q.int(3)), lastError: q.text(4))
        }
        return out
    }

    /// Records the outcome of a delivery round for `sink` in one transaction.
    public func record(sink: String, cursor: Int64, retrying: [Int64: RetryState], finished: [Int64],
                       dead: [DeadLetter]) throws {
        try db.transaction { () throws(JournalError) in
            let upsert = try db.prepare("""
                INSERT OR REPLACE INTO retries(sink, position, attempts, first_attempt_ms, next_attempt_ms, last_error)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            for (position, r) in retrying {
                try upsert.run([.text(sink), .int(position), .int(Int64(r.attempts)), .int(r.firstAttempt.millisecondsSince1970),
                                .int(r.nextAttempt.millisecondsSince1970), .text(r.lastError)])
            }
            let clear = try db.prepare("DELETE FROM retries WHERE sink = ? AND position = ?")
            for position in finished { try clear.run([.text(sink), .int(position)]) }
            let bury = try db.prepare("""
                INSERT OR REPLACE INTO dead_letters(sink, \(Self.eventColumns), attempts, last_error, dead_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for d in dead {
                try bury.run([.text(sink), .int(d.position)] + Self.values(d.event)
                             + [.int(Int64(d.attempts)), .text(d.lastError), .int(d.deadAt.millisecondsSince1970)])
            }
            try db.prepare("UPDATE cursors SET position = MAX(position, ?) WHERE sink = ?").run([.int(cursor), .text(sink)])
        }
        checkpointer.poke()
    }

    // MARK: - Operations

    /// Moves everything in the WAL into the database file and empties the WAL.
    public func checkpoint() throws {
        try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Sets a sink's cursor to `position`, even backwards (only for a cursor found beyond the journal's end).
    public func resetCursor(sink: String, to position: Int64) throws {
        try db.prepare("UPDATE cursors SET position = ? WHERE sink = ?").run([.int(position), .text(sink)])
    }

    /// Deletes events every listed sink has passed, keeping the newest `keep` for replay.
    /// - Returns: how many rows went.
    @discardableResult
    public func prune(sinks: [String], keep: Int) throws -> Int {
        var floor = try lastPosition() - Int64(keep)
        for s in sinks { floor = min(floor, try cursor(sink: s)) }
        guard floor > 0 else { return 0 }
        try db.prepare("DELETE FROM events WHERE position <= ?").run([.int(floor)])
        return db.changes
    }

    /// How many dead letters each sink has.
    public func deadLetterCounts() throws -> [String: Int] {
        let q = try db.prepare("SELECT sink, COUNT(*) FROM dead_letters GROUP BY sink")
        var out: [String: Int] = [:]
        while try q.step() { out[q.text(0)] = Int(q.int(1)) }
        return out
    }

    public func deadLetters(sink: String?) throws -> [DeadLetter] {
        let q = try db.prepare("""
            SELECT sink, \(Self.eventColumns), attempts, last_error, dead_at_ms FROM dead_letters
            WHERE ? IS NULL OR sink = ? ORDER BY sink, position
            """).bind([.optional(sink), .optional(sink)])
        var out: [DeadLetter] = []
        while try q.step() {
            let e = Self.event(q, from: 1)
            out.append(DeadLetter(sink: q.text(0), position: e.position, event: e.event, attempts: Int(q.int(11)),
                                  lastError: q.text(12), deadAt: Timestamp(millisecondsSince1970: q.int(13))))
        }
        return out
    }

    /// Puts dead letters back in front of their sink (as new journal entries for that sink only, same
    /// event ids and bytes) and removes them from the dead letters. Returns how many.
    @discardableResult
    public func retryDeadLetters(sink: String?) throws -> Int {
        let letters = try deadLetters(sink: sink)
        try db.transaction { () throws(JournalError) in
            let insert = try db.prepare("""
                INSERT INTO events(\(Self.valueColumns), only_sink) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let delete = try db.prepare("DELETE FROM dead_letters WHERE sink = ? AND position = ?")
            for d in letters {
                try insert.run(Self.values(d.event) + [.text(d.sink)])
                try delete.run([.text(d.sink), .int(d.position)])
            }
        }
        return letters.count
    }

    @discardableResult
    public func purgeDeadLetters(sink: String?) throws -> Int {
        try db.prepare("DELETE FROM dead_letters WHERE ? IS NULL OR sink = ?").run([.optional(sink), .optional(sink)])
        return db.changes
    }

    /// Where a replay starts.
    public enum ReplayStart: Sendable {
        /// Events with at least this per-source sequence.
        case sequence(UInt64)
        case time(Timestamp)
    }

    /// Re-delivers journaled events (those not yet pruned) to one sink, as copies addressed to it alone.
    /// Returns how many.
    @discardableResult
    public func replay(sink: String, from start: ReplayStart) throws -> Int {
        let (column, value): (String, Int64) = switch start {
        case .sequence(let s): ("sequence", Int64(s))
        case .time(let t): ("time_ms", t.millisecondsSince1970)
        }
        return try db.transaction { () throws(JournalError) in
            try db.prepare("""
                INSERT INTO events(\(Self.valueColumns), only_sink)
                SELECT \(Self.valueColumns), ?
                FROM events WHERE only_sink IS NULL AND \(column) >= ? ORDER BY position
                """).run([.text(sink), .int(value)])
            return db.changes
        }
    }

    /// All journaled events (for tests and tools), oldest first.
    public func allEvents() throws -> [JournaledEvent] {
        let q = try db.prepare("SELECT \(Self.eventColumns) FROM events ORDER BY position")
        var out: [JournaledEvent] = []
        while try q.step() { out.append(Self.event(q)) }
        return out
    }
}
