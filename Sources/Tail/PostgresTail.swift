import Foundation
import Postgres
import VicinotifyCore

/// Follows the PostgreSQL sink's table: catches up from the table, then streams what its channel announces,
/// with no gap and no duplicate at the switch-over, and again after every reconnect.
///
/// LISTEN comes first, so every row committed after it is announced; the catch-up query then reads what
/// was committed before. Rows committed in between arrive both ways, and a set of the ids recently printed
/// drops the second copy. After a lost connection, the catch-up re-reads the rows inserted since one minute
/// before the connection was last known alive (a heartbeat query every few seconds) and drops those
/// already printed. Notifications are only a wake-up where they carry no event (pointer and batch
/// payloads): the row is read from the table. Blocking: run it on a thread of its own.
public final class PostgresTail {
    public enum Start: Sendable, Equatable {
        /// Events with a greater sequence (`0`: everything).
        case afterSequence(Int64)
        /// Events observed at or after this time (any text PostgreSQL reads as `timestamptz`).
        case time(String)
        /// Events observed in the last this many seconds.
        case lastSeconds(Double)
        /// The last this many events.
        case last(Int)
    }

    /// One event, as the table or the notification carried it.
    public struct Row: Sendable {
        public var id: String
        /// The event JSON exactly as emitted.
        public var json: String
    }

    private let options: PostgresConnectionOptions
    private let table: String
    private let channel: String
    private let start: Start
    private let types: [String]
    private let agents: [String]
    private let status: (String) -> Void
    private var recent = RecentIDs(capacity: 100_000)
    private var lastAlive: String?
    /// Seconds between heartbeat queries; a dead connection is noticed within this.
    var heartbeat: Double = 5

    /// - Parameters:
    ///   - types: `type` globs (`vicidial.agent.*`); empty: every type.
    ///   - agents: agents to show; empty: every event.
    ///   - status: told about connection problems and reconnects, for standard error.
    public init(connection: PostgresConnectionOptions, table: String, channel: String, start: Start,
                types: [String] = [], agents: [String] = [], status: @escaping (String) -> Void) {
        self.options = connection
        self.table = table
        self.channel = channel
        self.start = start
        self.types = types
        self.agents = agents
        self.status = status
    }

    /// Runs until `emit` returns false. Throws only what reconnecting cannot fix: a wrong password, a missing
    /// table, a `--since` the server cannot read.
    public func run(emit: (Row) -> Bool) throws {
        var delay = 0.25
        var connectedOnce = false
        while true {
            do {
                let connection = try PostgresConnection(options)
                try connection.listen(channel)
                let alive = try connection.query("SELECT now()::text")[0][0]
                if connectedOnce { status("reconnected; catching up") }
                guard try catchUp(connection, first: !connectedOnce, emit: emit) else { return }
                lastAlive = alive ?? lastAlive
                connectedOnce = true
                delay = 0.25
                guard try stream(connection, emit: emit) else { return }
            } catch let error as PostgresError {
                // Before the first success every problem is the user's to fix; afterwards, only statement errors.
                if !connectedOnce || !error.isConnectionProblem { throw error }
                status("\(error); reconnecting in \(delay)s")
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 10)
            }
        }
    }

    /// Aliased, so that `ORDER BY sequence, id` sorts by the table's columns, not by these texts.
    private var columns: String { "id::text AS event_id, event::text AS event_json" }
    private var quotedTable: String { PostgresIdentifier.quoted(table) }

    /// `AND (…)` clauses for the filters, with their parameters numbered from `first`.
    private func filters(from first: Int) -> (sql: String, parameters: [String?]) {
        var sql = ""
        var parameters: [String?] = []
        if !types.isEmpty {
            sql += " AND (" + types.indices.map { "type LIKE $\(first + $0) ESCAPE '\\'" }.joined(separator: " OR ") + ")"
            parameters += types.map(Self.like)
        }
        if !agents.isEmpty {
            let from = first + parameters.count
            sql += " AND agent IN (" + agents.indices.map { "$\(from + $0)" }.joined(separator: ", ") + ")"
            parameters += agents
        }
        return (sql, parameters)
    }

    /// A `*` glob as a LIKE pattern.
    static func like(_ glob: String) -> String {
        var out = ""
        for c in glob {
            switch c {
            case "*": out += "%"
            case "%", "_", "\\": out += "\\" + String(c)
            default: out.append(c)
            }
        }
        return out
    }

    /// Prints everything the table holds that this tail should show and has not; false when `emit` said stop.
    private func catchUp(_ connection: PostgresConnection, first: Bool, emit: (Row) -> Bool) throws -> Bool {
        let condition: String
        var parameters: [String?] = []
        switch (first, start) {
        case (true, .last(let n)):
            let f = filters(from: 1)
            let rows = try connection.query("""
                SELECT \(columns) FROM (SELECT id, sequence, event FROM \(quotedTable) WHERE true\(f.sql)
                ORDER BY sequence DESC, id DESC LIMIT \(max(0, n))) AS last ORDER BY sequence, id
                """, f.parameters)
            return emitNew(rows, emit: emit)
        case (true, .afterSequence(let s)):
            condition = "sequence > $1::bigint"
            parameters = [String(s)]
        case (true, .time(let t)):
            condition = "time >= $1::timestamptz"
            parameters = [t]
        case (true, .lastSeconds(let seconds)):
            condition = "time >= now() - $1::float8 * interval '1 second'"
            parameters = [String(seconds)]
        case (false, _):
            condition = "inserted_at >= $1::timestamptz - interval '1 minute'"
            parameters = [lastAlive]
        }
        var after: (sequence: String, id: String)?
        while true {
            var sql = "SELECT \(columns), sequence::text AS event_sequence FROM \(quotedTable) WHERE \(condition)"
            var all = parameters
            if let after {
                sql += " AND (sequence, id) > ($\(all.count + 1)::bigint, $\(all.count + 2)::uuid)"
                all += [after.sequence, after.id]
            }
            let f = filters(from: all.count + 1)
            sql += f.sql + " ORDER BY sequence, id LIMIT 1000"
            let rows = try connection.query(sql, all + f.parameters)
            guard emitNew(rows, emit: emit) else { return false }
            guard rows.count == 1000, let last = rows.last, let s = last[2], let id = last[0] else { return true }
            after = (s, id)
        }
    }

    private func emitNew(_ rows: [[String?]], emit: (Row) -> Bool) -> Bool {
        for row in rows {
            guard let id = row[0], let json = row[1] else { continue }
            if recent.insert(id), !emit(Row(id: id, json: json)) { return false }
        }
        return true
    }

    /// Waits for notifications until the connection fails (throws) or `emit` says stop (false).
    private func stream(_ connection: PostgresConnection, emit: (Row) -> Bool) throws -> Bool {
        var lastBeat = ContinuousClock.now
        while true {
            for n in try connection.notifications(timeout: 1) {
                guard try handle(n.payload, connection, emit: emit) else { return false }
            }
            if ContinuousClock.now - lastBeat > .seconds(heartbeat) {
                lastAlive = try connection.query("SELECT now()::text")[0][0] ?? lastAlive
                lastBeat = ContinuousClock.now
            }
        }
    }

    private func handle(_ payload: String, _ connection: PostgresConnection, emit: (Row) -> Bool) throws -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { return true }
        if object["specversion"] != nil, let id = object["id"] as? String {
            let type = object["type"] as? String ?? ""
            let agent = type.hasPrefix("vicidial.agent.") ? object["subject"] as? String : nil
            guard types.isEmpty || types.contains(where: { EventFilter.glob($0, matches: type) }) else { return true }
            guard agents.isEmpty || agent.map(agents.contains) == true else { return true }
            return emitNew([[id, payload]], emit: emit)
        }
        let f: (sql: String, parameters: [String?])
        let rows: [[String?]]
        if let first = object["first_sequence"] as? NSNumber, let last = object["last_sequence"] as? NSNumber {
            f = filters(from: 3)
            rows = try connection.query("SELECT \(columns) FROM \(quotedTable) WHERE sequence BETWEEN $1::bigint AND $2::bigint\(f.sql) ORDER BY sequence, id",
                                        [first.stringValue, last.stringValue] + f.parameters)
        } else if let id = object["id"] as? String {
            f = filters(from: 2)
            rows = try connection.query("SELECT \(columns) FROM \(quotedTable) WHERE id = $1::uuid\(f.sql)", [id] + f.parameters)
        } else {
            return true
        }
        return emitNew(rows, emit: emit)
    }
}

/// The ids of the last `capacity` events printed, to drop a second copy.
struct RecentIDs {
    private var set: Set<String> = []
    private var order: [String] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// False when `id` was already there.
    mutating func insert(_ id: String) -> Bool {
        guard set.insert(id).inserted else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            set.remove(order[head])
            order[head] = id
            head = (head + 1) % capacity
        }
        return true
    }
}
