import MariaDB
import Synchronization
import VICIdial
import VicinotifyCore

/// Reads the floor from VICIdial's database in one statement per poll (`FloorQuery`), through a
/// read-only user on a replica. Checks the columns it needs before the first poll after each connect, and
/// refuses an answer that is too old (replica lag) or that a replica restart emptied (no live calls while
/// agents are on calls) rather than log anyone out by it.
public final class DatabaseFloorReader: FloorReader {
    public let source: VICIdialSource
    let location: DatabaseLocation
    private let client: MariaDBClient
    /// The columns were checked on the current connection.
    private let checked = Atomic<Bool>(false)
    private let queuesRead = QueueClock()

    /// INCALL agents with no live call at all: a replica restart emptied the MEMORY tables (below this, a
    /// few agents whose customers hung up).
    public static let emptyCallsFloor = 3

    public init(source: VICIdialSource) {
        self.source = source
        location = source.database ?? DatabaseLocation(user: "", password: "")
        client = MariaDBClient(MariaDBConnectionOptions(
            host: location.host, port: location.port, socket: location.socket, database: location.name, user: location.user,
            password: location.password, caFile: location.caFile, requireTLS: location.requireTLS, timeout: source.timeout))
    }

    public var redactedURL: String { location.redacted }

    public func poll(known: KnownFloor) async -> Result<FloorSnapshot, PollFailure> {
        do {
            if !checked.load(ordering: .relaxed) {
                let queues = source.queues != nil
                let missing = FloorQuery.missing(from: try await client.query(FloorQuery.columnsSQL(queues: queues)).rows, queues: queues)
                if !missing.isEmpty {
                    return .failure(PollFailure(.schema, "columns missing or not granted to \(location.user): "
                                                + missing.joined(separator: ", ")))
                }
                checked.store(true, ordering: .relaxed)
            }
            let result = try await client.query(FloorQuery.sql(inGroups: source.queues != nil))
            var snapshot: FloorSnapshot
            switch Self.snapshot(result, maxLag: location.maxLag) {
            case .failure(let f): return .failure(f)
            case .success(let s): snapshot = s
            }
            if let selection = source.queues, queuesRead.due(selection) {
                do {
                    let calls = try await client.query(QueueQuery.calls), agents = try await client.query(QueueQuery.agents)
                    let today = try await client.query(QueueQuery.today)
                    switch QueueQuery.queues(calls: calls, agents: agents, today: today, selection: selection) {
                    case .success(let queues): snapshot.queues = queues.map(selection.scoped)
                    case .failure(let f): snapshot.queueFailure = f
                    }
                } catch {
                    snapshot.queueFailure = Self.failure(error)
                }
            }
            return .success(snapshot)
        } catch {
            if error.needsReconnect || error.kind == .schema || error.kind == .permissionDenied { checked.store(false, ordering: .relaxed) }
            return .failure(Self.failure(error))
        }
    }

    /// What one answer of `FloorQuery` means.
    static func snapshot(_ result: MariaDBResult, maxLag: Double) -> Result<FloorSnapshot, PollFailure> {
        let columns = DatabaseRow.Columns(result)
        let rows = result.rows.map { DatabaseRow($0, columns: columns) }
        var lag: Double?
        if let now = rows.first?.databaseNow, let newest = rows.compactMap(\.lastUpdate).max() {
            lag = Double(max(0, now - newest))
            let lag = lag!
            if lag > maxLag {
                return .failure(PollFailure(.replicaLag, "the newest agent screen update is \(Int(lag)) s old (max_lag \(Int(maxLag)) s)"))
            }
        }
        let inCall = rows.filter { $0.state.status == "INCALL" }.count
        if inCall >= emptyCallsFloor, rows.first?.callsTotal == 0 {
            return .failure(PollFailure(.suspicious, "\(inCall) agents are INCALL but vicidial_auto_calls is empty: a restarted "
                                        + "replica's MEMORY tables stay empty until new calls come; not believed"))
        }
        var snapshot = FloorSnapshot(agents: rows.map(\.state))
        snapshot.lag = lag
        return .success(snapshot)
    }

    /// A `MariaDBError` as the poll failure that sources report.
    static func failure(_ error: MariaDBError) -> PollFailure {
        switch error.kind {
        case .accessDenied: PollFailure(.accessDenied, error.description)
        case .permissionDenied, .schema: PollFailure(.schema, error.description)
        case .timeout: PollFailure(.timeout, error.description)
        case .connection, .tls: PollFailure(.transport, error.description)
        case .other: PollFailure(.databaseError, error.description)
        }
    }
}
