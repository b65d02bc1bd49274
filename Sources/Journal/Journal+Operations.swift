import Foundation
import WorkerThreads
import VicinotifyCore

/// Pruning, dead letters, replay and checkpoints: the operators' tools.
extension Journal {

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
