import Foundation
import WorkerThreads
import VicinotifyCore

/// What each sink's queue reads and records: its cursor, its events, its retries, its dead letters.
extension Journal {

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
        try pending(for: sink, after: position, limit: limit).events
    }

    /// A sink's next events after `position` (at most `limit`), and the position it has read through:
    /// past the events of other sinks (their heartbeats, replays), so its cursor moves on even when
    /// nothing is for it, and neither pruning nor its reads are held back by them.
    /// With `sink` nil: the events for every sink only (what readers of the stream see).
    public func pending(for sink: String?, after position: Int64, limit: Int) throws -> (events: [JournaledEvent], through: Int64) {
        // The end first: a row committed after it (by this or another process) has a higher position.
        let end = try lastPosition()
        let q = try db.prepare("""
            SELECT \(Self.eventColumns) FROM events
            WHERE position > ? AND position <= ? AND (only_sink IS NULL OR only_sink = ?) ORDER BY position LIMIT ?
            """).bind([.int(position), .int(end), .optional(sink), .int(Int64(limit))])
        var out: [JournaledEvent] = []
        while try q.step() { out.append(Self.event(q)) }
        return (out, out.count == limit ? out.last!.position : max(position, end))
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
            // Usually no event of the sink is being retried: then there is nothing to clear, one row per event.
            let any = try db.prepare("SELECT 1 FROM retries WHERE sink = ? LIMIT 1").bind([.text(sink)])
            if try any.step() {
                try any.reset()
                let clear = try db.prepare("DELETE FROM retries WHERE sink = ? AND position = ?")
                for position in finished { try clear.run([.text(sink), .int(position)]) }
            }
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

    /// Events every reader sees (not replay copies for one sink) after `position`, oldest first.
    public func sharedEvents(after position: Int64, limit: Int) throws -> [JournaledEvent] {
        try pending(for: nil, after: position, limit: limit).events
    }

    /// The oldest position still journaled (pruning removes older ones); `nil` when there is none.
    public func oldestPosition() throws -> Int64? {
        let q = try db.prepare("SELECT MIN(position) FROM events")
        return try q.step() && !q.isNull(0) ? q.int(0) : nil
    }

    /// The position just before the first event at or after `time`: where a reader starting then resumes.
    public func position(before time: Timestamp) throws -> Int64 {
        let q = try db.prepare("SELECT MIN(position) FROM events WHERE time_ms >= ?").bind([.int(time.millisecondsSince1970)])
        if try q.step(), !q.isNull(0) { return q.int(0) - 1 }
        return try lastPosition()
    }

    /// The events of `source` that `sink` was given at or after `time`, oldest first, without their JSON:
    /// what a heartbeat schedule restarts from.
    public func recentEvents(source: String, sink: String, since time: Timestamp) throws -> [EncodedEvent] {
        let q = try db.prepare("""
            SELECT type, subject, campaign_id, user_group, time_ms FROM events
            WHERE time_ms >= ? AND source = ? AND (only_sink IS NULL OR only_sink = ?) ORDER BY position
            """).bind([.int(time.millisecondsSince1970), .text(source), .text(sink)])
        var out: [EncodedEvent] = []
        while try q.step() {
            guard let type = EventType(rawValue: q.text(0)) else { continue }
            let campaign = Self.scopeValues(q.text(2)), group = Self.scopeValues(q.text(3))
            out.append(EncodedEvent(id: "", sequence: 0, type: type, subject: q.text(1), sourceName: source, campaignID: campaign.current,
                                    userGroup: group.current, previousCampaignID: campaign.previous, previousUserGroup: group.previous,
                                    time: Timestamp(millisecondsSince1970: q.int(4)), json: []))
        }
        return out
    }

    /// The source's `vicidial.agent.threshold_exceeded` events at or after `time`: the rule, the agent and
    /// when, what an alert watch restarts from.
    public func thresholdCrossings(source: String, since time: Timestamp) throws -> [(rule: String, agent: String, time: Timestamp)] {
        let q = try db.prepare("""
            SELECT subject, time_ms, json FROM events
            WHERE time_ms >= ? AND source = ? AND type = ? AND only_sink IS NULL ORDER BY position
            """).bind([.int(time.millisecondsSince1970), .text(source), .text(EventType.thresholdExceeded.rawValue)])
        var out: [(rule: String, agent: String, time: Timestamp)] = []
        while try q.step() {
            let event = try? JSONSerialization.jsonObject(with: Data(q.blob(2))) as? [String: Any]
            guard let rule = (event?["data"] as? [String: Any])?["rule"] as? String else { continue }
            out.append((rule, q.text(0), Timestamp(millisecondsSince1970: q.int(1))))
        }
        return out
    }
}
