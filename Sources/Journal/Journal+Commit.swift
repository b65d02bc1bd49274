import Foundation
import HandOverTrace
import VicinotifyCore
import WorkerThreads

/// Restoring a source's snapshot, and committing a poll: its events and its snapshot blocks together.
extension Journal {

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
    static func migrateAgentRows(_ db: SQLiteConnection) throws(JournalError) {
        let exists = try db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'agents'")
        guard try exists.step() else { return }
        try exists.reset()
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
            try q.reset()  // an unfinished read of the table would keep DROP from running
            try db.exec("DROP TABLE agents")
        }
    }

    /// Commits one poll: its events, the snapshot blocks they changed and the source's sequence, atomically.
    /// - Parameter addressed: events for one sink each (heartbeats), journaled after the shared `events`, as
    ///   their sequences come after theirs: every sink gets a source's events in sequence order.
    /// - Returns: the journal position of the last event (or the current last position if there are none).
    @discardableResult
    public func commit(source: String, events: [EncodedEvent], addressed: [(sink: String, event: EncodedEvent)] = [],
                       changes: [AgentChange], at time: Timestamp, lastSequence: UInt64) throws -> Int64 {
        defer { checkpointer.poke() }
        if !events.isEmpty { HandOverTrace.mark("journal.commit") }
        let (sharedLast, last) = try db.transaction { () throws(JournalError) in
            let snapshot = try beginSnapshotUpdate(source: source, changes: changes, at: time)
            try insert(events)
            let sharedLast = try lastPosition()
            if !addressed.isEmpty {
                let one = try db.prepare("INSERT INTO events(\(Self.valueColumns), only_sink) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                for a in addressed { try one.run(Self.values(a.event) + [.text(a.sink)]) }
            }
            try write(snapshot)
            try db.prepare("INSERT OR REPLACE INTO sources(name, last_sequence) VALUES (?, ?)")
                .run([.text(source), .int(Int64(lastSequence))])
            return (sharedLast, try lastPosition())
        }
        // One writer, one transaction: the poll's shared events hold consecutive positions ending at `sharedLast`,
        // its addressed ones those after it.
        if let commitObserver, !events.isEmpty || !addressed.isEmpty {
            let first = sharedLast - Int64(events.count) + 1
            var rows: [(sink: String?, event: JournaledEvent)] = []
            rows.reserveCapacity(events.count + addressed.count)
            for (i, e) in events.enumerated() { rows.append((nil, JournaledEvent(position: first + Int64(i), event: e))) }
            for (i, a) in addressed.enumerated() { rows.append((a.sink, JournaledEvent(position: sharedLast + 1 + Int64(i), event: a.event))) }
            commitObserver(JournalCommit(rows: rows))
        }
        return last
    }

    /// Reads the snapshot blocks that `changes` touch and applies the changes to them: here for a small poll,
    /// on the snapshot worker for a large one (`parallelChanges` or more), while this thread goes on
    /// inserting the poll's events; `write` stores the result.
    func beginSnapshotUpdate(source: String, changes: [AgentChange],
                                     at time: Timestamp) throws(JournalError) -> PendingSnapshot {
        let users = changes.map(\.user)
        let blockOf = users.map(SnapshotBlock.index(of:))
        var stored = [[UInt8]?](repeating: nil, count: SnapshotBlock.count)  // nil: untouched
        let read = try db.prepare("SELECT agents FROM snapshot_blocks WHERE source = ? AND block = ?")
        for index in Set(blockOf) {
            try read.reset()
            try read.bind(.text(source), at: 1)
            try read.bind(.int(Int64(index)), at: 2)
            stored[index] = try read.step() ? read.blob(0) : []
        }
        let pending = PendingSnapshot(source: source)
        let blocks = stored
        let apply: @Sendable () -> Void = {
            var touched = [[SnapshotBlock.Change]](repeating: [], count: SnapshotBlock.count)
            for (i, c) in changes.enumerated() {
                touched[blockOf[i]].append((users[i], c.current, SnapshotBlock.sinceField(c.since, known: c.sinceKnown)))
            }
            pending.finish(blocks.indices.compactMap { index in
                blocks[index].map { (index, SnapshotBlock.applying(touched[index], to: $0)) }
            })
        }
        if changes.count < Self.parallelChanges { apply() } else { snapshotWorker.submit(apply) }
        return pending
    }

    /// From this many changes in one poll a commit applies them to the snapshot on the snapshot worker:
    /// below it, the hand-over to that thread and back costs more than it saves.
    static let parallelChanges = 256

    /// Waits for `pending` and writes its blocks (deleting those left empty).
    func write(_ pending: PendingSnapshot) throws(JournalError) {
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
    func insert(_ events: [EncodedEvent]) throws(JournalError) {
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
            try statement.reset()
            arena.reset(reserving: rows.reduce(0) { total, e in
                total + e.id.utf8.count + e.sourceName.utf8.count + e.type.rawValue.utf8.count + e.subject.utf8.count
                    + e.campaignID.utf8.count + e.userGroup.utf8.count + e.previousCampaignID.utf8.count
                    + e.previousUserGroup.utf8.count + 2 + e.json.count
            })
            for (r, e) in rows.enumerated() {
                let p = Int32(r * 9)
                try statement.bind(arena.copy(e.id), asText: true, at: p + 1)
                try statement.bind(arena.copy(e.sourceName), asText: true, at: p + 2)
                try statement.bind(.int(Int64(e.sequence)), at: p + 3)
                try statement.bind(arena.copy(e.type.rawValue), asText: true, at: p + 4)
                try statement.bind(arena.copy(e.subject), asText: true, at: p + 5)
                try statement.bind(arena.copy(Self.scopeColumn(e.campaignID, e.previousCampaignID)), asText: true, at: p + 6)
                try statement.bind(arena.copy(Self.scopeColumn(e.userGroup, e.previousUserGroup)), asText: true, at: p + 7)
                try statement.bind(.int(e.time.millisecondsSince1970), at: p + 8)
                try statement.bind(e.json.withUnsafeBytes { arena.copy($0) }, asText: false, at: p + 9)
            }
            while try statement.step() {}
            start += rows.count
        }
    }

    static func values(_ e: EncodedEvent) -> [SQLValue] {
        [.text(e.id), .text(e.sourceName), .int(Int64(e.sequence)), .text(e.type.rawValue), .text(e.subject),
         .text(scopeColumn(e.campaignID, e.previousCampaignID)), .text(scopeColumn(e.userGroup, e.previousUserGroup)),
         .int(e.time.millisecondsSince1970), .blob(e.json)]
    }

    /// `campaign_id` and `user_group` hold the current value, then a unit separator and the previous
    /// one when the change left it (rows written before it have none).
    static func scopeColumn(_ current: String, _ previous: String) -> String {
        previous.isEmpty ? current : current + "\u{1F}" + previous
    }

    static func scopeValues(_ column: String) -> (current: String, previous: String) {
        guard let i = column.firstIndex(of: "\u{1F}") else { return (column, "") }
        return (String(column[..<i]), String(column[column.index(after: i)...]))
    }

    /// An event's columns, in the order of `values(_:)`; every table holding events uses them.
    static let valueColumns = "id, source, sequence, type, subject, campaign_id, user_group, time_ms, json"
    static let eventColumns = "position, " + valueColumns

    static func event(_ q: Statement, from col: Int32 = 0) -> JournaledEvent {
        let campaign = scopeValues(q.text(col + 6)), group = scopeValues(q.text(col + 7))
        return JournaledEvent(position: q.int(col), event: EncodedEvent(
            id: q.text(col + 1), sequence: UInt64(q.int(col + 3)), type: EventType(rawValue: q.text(col + 4)) ?? .updated,
            subject: q.text(col + 5), sourceName: q.text(col + 2), campaignID: campaign.current, userGroup: group.current,
            previousCampaignID: campaign.previous, previousUserGroup: group.previous,
            time: Timestamp(millisecondsSince1970: q.int(col + 8)), json: q.blob(col + 9)))
    }

    /// Bytes on disk: the database and its write-ahead log.
    public nonisolated var sizeInBytes: Int {
        [path, path + "-wal"].reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        }
    }

    public func lastPosition() throws(JournalError) -> Int64 {
        // The highest position ever given (AUTOINCREMENT's counter), even when pruning left no event.
        let q = try db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)")
        _ = try q.step()
        return q.int(0)
    }
}
