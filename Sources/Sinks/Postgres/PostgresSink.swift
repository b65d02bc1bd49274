import Logging
import Postgres
import VicinotifyCore

/// How the PostgreSQL sink announces inserted rows on its channel.
public enum PostgresNotifyMode: String, Sendable, CaseIterable {
    /// One notification per inserted event: the event JSON when it is under 8000 bytes, else
    /// `{"id","type","subject","sequence"}` (read the row by id).
    case event
    /// One notification per transaction: `{"first_sequence":N,"last_sequence":M,"count":K}`; cheaper under
    /// PostgreSQL's commit-time notification lock.
    case batch
    /// No notifications: consumers poll the table.
    case none
}

/// The `sinks.postgres` block of the configuration.
public struct PostgresSinkConfiguration: Sendable {
    public var connection: PostgresConnectionOptions
    /// A name `PostgresIdentifier` accepts; the table `schema.sql` creates by default.
    public var table: String
    /// A name `PostgresIdentifier` accepts (unqualified).
    public var channel: String
    public var notify: PostgresNotifyMode
    /// Events per transaction.
    public var batchMaxEvents: Int
    /// How long to wait for a batch to fill; 0 writes what is ready.
    public var batchMaxWait: Double
    /// Create the table, its indexes and view when missing (the script of `schema.sql`), instead of refusing.
    public var applySchema: Bool
    /// Seconds without an event for an agent before a `vicidial.agent.heartbeat`; `nil`: none.
    public var heartbeat: Double?
    public var retry: RetryPolicy

    public init(connection: PostgresConnectionOptions, table: String = PostgresSchema.defaultTable,
                channel: String = PostgresSchema.defaultTable, notify: PostgresNotifyMode = .event,
                batchMaxEvents: Int = 500, batchMaxWait: Double = 0, applySchema: Bool = false,
                retry: RetryPolicy = RetryPolicy()) {
        self.connection = connection
        self.table = table
        self.channel = channel
        self.notify = notify
        self.batchMaxEvents = batchMaxEvents
        self.batchMaxWait = batchMaxWait
        self.applySchema = applySchema
        self.retry = retry
    }
}

/// Inserts events into a PostgreSQL table, one transaction per batch, and notifies a channel of the rows
/// actually inserted in that same transaction.
///
/// A batch is a single statement: a parameterised multi-row `INSERT … ON CONFLICT (id) DO NOTHING
/// RETURNING` whose returned rows feed `pg_notify`, so a retried batch inserts and announces only what is
/// new. A lost connection makes the batch retry (the queue backs off) and the next attempt reconnects; a
/// missing table or a rejected login is retried too, and logged as an error saying what to fix.
public final class PostgresSink: EventSink {
    public static let sinkName = "postgres"
    public let name = PostgresSink.sinkName
    public let configuration: PostgresSinkConfiguration
    private let client: PostgresClient
    private let logger: Logger

    public init(configuration: PostgresSinkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let (table, apply) = (configuration.table, configuration.applySchema)
        client = PostgresClient(configuration.connection) { connection in
            try Self.checkTable(table, apply: apply, on: connection)
        }
    }

    public var batching: SinkBatching {
        SinkBatching(waitFor: configuration.batchMaxEvents, maxWait: configuration.batchMaxWait)
    }

    /// Connects and checks the table now rather than at the first event; the error that would make
    /// deliveries retry, if any.
    @discardableResult
    public func connect() async -> PostgresError? {
        do {
            try await client.withConnection { _ in }
            return nil
        } catch {
            let error = error as? PostgresError ?? PostgresError(kind: .connect, message: "\(error)")
            logger.error("PostgreSQL sink cannot deliver yet; events stay in the journal and are retried",
                         metadata: ["sink": "\(name)", "error": "\(Self.reason(error))"])
            return error
        }
    }

    public func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        var outcomes: [DeliveryOutcome] = []
        outcomes.reserveCapacity(batch.count)
        var start = 0
        while start < batch.count {
            let chunk = Array(batch[start..<min(start + configuration.batchMaxEvents, batch.count)])
            start += chunk.count
            do {
                try await insert(chunk)
                outcomes += Array(repeating: .delivered, count: chunk.count)
            } catch {
                let error = error as? PostgresError ?? PostgresError(kind: .statement, message: "\(error)")
                if error.isDataProblem {
                    outcomes += await deliverOneByOne(chunk)
                    continue
                }
                let reason = Self.reason(error)
                outcomes += Array(repeating: .retry(reason: reason, after: nil), count: batch.count - outcomes.count)
                return outcomes
            }
        }
        return outcomes
    }

    /// One statement per event, so that the one event the server refuses goes to the dead letters alone.
    private func deliverOneByOne(_ chunk: [EncodedEvent]) async -> [DeliveryOutcome] {
        var outcomes: [DeliveryOutcome] = []
        for event in chunk {
            do {
                try await insert([event])
                outcomes.append(.delivered)
            } catch let error as PostgresError where error.isDataProblem {
                outcomes.append(.giveUp(reason: "\(error)"))
            } catch {
                let reason = Self.reason(error as? PostgresError ?? PostgresError(kind: .statement, message: "\(error)"))
                outcomes += Array(repeating: .retry(reason: reason, after: nil), count: chunk.count - outcomes.count)
                break
            }
        }
        return outcomes
    }

    private func insert(_ events: [EncodedEvent]) async throws {
        let sql = Self.insertStatement(table: configuration.table, rows: events.count, notify: configuration.notify)
        var parameters: [[UInt8]?] = []
        parameters.reserveCapacity(events.count * 8 + 1)
        if configuration.notify != .none { parameters.append(Array(configuration.channel.utf8)) }
        for e in events { Self.appendParameters(of: e, to: &parameters) }
        try await client.withConnection { [parameters] connection in
            _ = try connection.query(sql, bytes: parameters)
        }
    }

    private static func reason(_ error: PostgresError) -> String {
        switch error.sqlState {
        case "42P01"?, "42703"?, "42804"?: return "\(error) (does the table match schema.sql?)"
        default: return "\(error)"
        }
    }

    // MARK: SQL

    /// The columns every row sets, in the order of `appendParameters`.
    public static let columns = "id, source, sequence, type, agent, time, event, data"

    /// Runs on every new connection: the table must exist, or is created when `apply` is set.
    static func checkTable(_ table: String, apply: Bool, on connection: PostgresConnection) throws {
        let found = try connection.query("SELECT to_regclass($1) IS NOT NULL", [PostgresIdentifier.quoted(table)])
        if found.first?.first == "t" { return }
        guard apply else {
            throw PostgresError(kind: .statement, sqlState: "42P01", message: "table \(table) does not exist: create it with "
                + "schema.sql (psql ... -f schema.sql) or set sinks.postgres.apply_schema to true")
        }
        try connection.execute(script: "SELECT pg_advisory_xact_lock(7316028);\n" + PostgresSchema.sql(table: table))
    }

    /// The statement inserting `rows` events. Parameters: the channel (unless `notify` is `.none`), then
    /// eight per event in `columns` order. Returns one row: the number of events inserted.
    static func insertStatement(table: String, rows: Int, notify: PostgresNotifyMode) -> String {
        var sql = "WITH v (\(columns)) AS (VALUES "
        sql.reserveCapacity(rows * 48 + 600)
        var p = notify == .none ? 0 : 1
        for r in 0..<rows {
            sql += r == 0 ? "(" : ",("
            for c in 0..<8 {
                p += 1
                sql += c == 0 ? "$\(p)" : ",$\(p)"
            }
            sql += ")"
        }
        sql += """
            ),
            ins AS (INSERT INTO \(PostgresIdentifier.quoted(table)) (\(columns))
                    SELECT id::uuid, source, sequence::bigint, type, agent, time::timestamptz, event::json, data::jsonb FROM v
                    ON CONFLICT (id) DO NOTHING RETURNING sequence, event)

            """
        switch notify {
        case .none:
            sql += "SELECT count(*) FROM ins"
        case .event:
            sql += """
                SELECT count(pg_notify($1, CASE WHEN octet_length(event::text) < 8000 THEN event::text ELSE
                       json_build_object('id', event->'id', 'type', event->'type', 'subject', event->'subject',
                                         'sequence', event->'sequence')::text END))
                  FROM (SELECT sequence, event FROM ins ORDER BY sequence) AS inserted
                """
        case .batch:
            sql += """
                SELECT count(*), CASE WHEN count(*) > 0 THEN pg_notify($1, json_build_object('first_sequence', min(sequence),
                       'last_sequence', max(sequence), 'count', count(*))::text) END
                  FROM ins
                """
        }
        return sql
    }

    /// The text of each of `columns` for `e`; `nil` is NULL.
    public static func appendParameters(of e: EncodedEvent, to parameters: inout [[UInt8]?]) {
        parameters.append(Array(e.id.utf8))
        parameters.append(Array(e.sourceName.utf8))
        parameters.append(Array(String(e.sequence).utf8))
        parameters.append(Array(e.type.rawValue.utf8))
        parameters.append(e.type.isAgentEvent ? Array(e.subject.utf8) : nil)
        parameters.append(e.time.rfc3339Bytes)
        parameters.append(e.json)
        parameters.append(dataMember(of: e.json))
    }

    /// The value of the event's `data` member. The encoder writes it last, after attributes whose quotes
    /// are all escaped inside strings, so the first `,"data":` is the member's key.
    static func dataMember(of json: [UInt8]) -> [UInt8] {
        let key = Array(#","data":"#.utf8)
        guard json.count > key.count + 1 else { return Array("null".utf8) }
        var i = 0
        while i + key.count < json.count {
            if json[i] == key[0], json[i..<(i + key.count)].elementsEqual(key) {
                return Array(json[(i + key.count)..<(json.count - 1)])
            }
            i += 1
        }
        return Array("null".utf8)
    }
}
