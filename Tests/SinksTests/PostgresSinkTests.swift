import Foundation
import Logging
import Postgres
import Sinks
import TestSupport
import Testing
import VicinotifyCore

/// The PostgreSQL sink against the real server `scripts/with-postgres` starts; every test has its own table
/// and channel.
@Suite struct PostgresSinkTests {
    static func configuration(restartable: Bool = false, _ change: (inout PostgresSinkConfiguration) -> Void = { _ in })
        -> PostgresSinkConfiguration {
        var c = PostgresSinkConfiguration(connection: TestPostgres.options(applicationName: "vicinotify-sink", restartable: restartable),
                                          table: TestPostgres.uniqueName("events"), channel: TestPostgres.uniqueName("ch"),
                                          applySchema: true)
        change(&c)
        return c
    }

    static func rows(_ table: String) async throws -> [[String?]] {
        try await TestPostgres.client().query("""
            SELECT id::text AS event_id, source, sequence::text AS seq, type, agent, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   event::text, data::text FROM \(PostgresIdentifier.quoted(table)) ORDER BY sequence
            """)
    }

    /// An agent event whose JSON is `size` bytes or more (a long full name).
    static func bigEvent(size: Int) -> EncodedEvent {
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 99)
        let state = AgentState(user: "big", status: "READY", fullName: String(repeating: "\u{e9}", count: size / 2))
        return EncodedEvent(tracker.observe([state], at: Timestamp(millisecondsSince1970: 1_795_500_000_000))[0])
    }

    @Test func rowsEqualTheJournaledEventsAndTheListenerGetsEachOnce() async throws {
        let config = Self.configuration()
        let listener = try await NotificationListener(channel: config.channel)
        let sink = PostgresSink(configuration: config, logger: Logger(label: "test"))
        let pipeline = try await Pipeline([sink])
        defer { pipeline.stop() }
        var events: [EncodedEvent] = []
        for _ in 0..<5 { events += try await pipeline.poll(agents: 40) }
        let count = events.count
        #expect(await listener.received.wait { $0.count >= count })

        let rows = try await Self.rows(config.table)
        #expect(rows.count == events.count)
        for (row, e) in zip(rows, events) {
            let json = String(decoding: e.json, as: UTF8.self)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(e.json)) as? [String: Any])
            let data = try JSONSerialization.jsonObject(with: Data((row[7] ?? "").utf8)) as? NSDictionary
            #expect(row[0] == e.id && row[1] == "src" && row[2] == String(e.sequence) && row[3] == e.type.rawValue)
            #expect(row[4] == e.subject && row[5] == e.time.description)
            #expect(row[6] == json, "the event column keeps the emitted bytes")
            #expect(data == object["data"] as? NSDictionary)
        }
        // Exactly one notification per inserted row, in sequence order, carrying the event as emitted.
        #expect(listener.received.value.map(\.payload) == events.map { String(decoding: $0.json, as: UTF8.self) })
        await listener.stop()
    }

    @Test func aRedeliveredBatchInsertsAndAnnouncesOnlyWhatIsNew() async throws {
        let config = Self.configuration()
        let listener = try await NotificationListener(channel: config.channel)
        let sink = PostgresSink(configuration: config, logger: Logger(label: "test"))
        let pipeline = try await Pipeline([])
        defer { pipeline.stop() }
        let first = try await pipeline.poll(agents: 3)
        let second = try await pipeline.poll(agents: 3)
        #expect(await sink.deliver(first) == Array(repeating: .delivered, count: 3))
        #expect(await sink.deliver(first + second) == Array(repeating: .delivered, count: 6))
        #expect(await listener.received.wait { $0.count >= 6 })
        let ids = listener.received.value.compactMap { n in
            (try? JSONSerialization.jsonObject(with: Data(n.payload.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(ids == (first + second).map(\.id))
        #expect(try await Self.rows(config.table).count == 6)
        await listener.stop()
    }

    @Test func anEventOver8000BytesIsAnnouncedByPointer() async throws {
        let config = Self.configuration()
        let listener = try await NotificationListener(channel: config.channel)
        let sink = PostgresSink(configuration: config, logger: Logger(label: "test"))
        let big = Self.bigEvent(size: 9000)
        #expect(big.json.count > 8000)
        #expect(await sink.deliver([big]) == [.delivered])
        #expect(await listener.received.wait { $0.count == 1 })
        let pointer = try #require(try JSONSerialization.jsonObject(with: Data(listener.received.value[0].payload.utf8)) as? [String: String])
        #expect(pointer == ["id": big.id, "type": big.type.rawValue, "subject": "big", "sequence": EventEncoder.sequenceText(big.sequence)])
        #expect(try await Self.rows(config.table).first?[6] == String(decoding: big.json, as: UTF8.self))
        await listener.stop()
    }

    @Test func batchModeAnnouncesTheSequenceRangeAndNoneModeNothing() async throws {
        let batch = Self.configuration { $0.notify = .batch }
        let silent = Self.configuration { $0.notify = .none; $0.channel = batch.channel }
        let listener = try await NotificationListener(channel: batch.channel)
        let pipeline = try await Pipeline([])
        defer { pipeline.stop() }
        let events = try await pipeline.poll(agents: 4)
        #expect(await PostgresSink(configuration: silent, logger: Logger(label: "test")).deliver(events).allSatisfy { $0 == .delivered })
        #expect(await PostgresSink(configuration: batch, logger: Logger(label: "test")).deliver(events).allSatisfy { $0 == .delivered })
        #expect(await listener.received.wait { !$0.isEmpty })
        let range = try #require(try JSONSerialization.jsonObject(with: Data(listener.received.value[0].payload.utf8)) as? [String: Int])
        #expect(range == ["first_sequence": Int(events[0].sequence), "last_sequence": Int(events[3].sequence), "count": 4])
        #expect(try await Self.rows(silent.table).count == 4)
        // The batch sink's table got its rows too, and one notification only came for them.
        #expect(try await Self.rows(batch.table).count == 4)
        #expect(listener.received.value.count == 1)
        await listener.stop()
    }

    @Test func aServerRestartMidStreamLosesNothingAndDuplicatesNothing() async throws {
        let config = Self.configuration(restartable: true)
        let logs = CapturedLogs()
        let sink = CountingSink(PostgresSink(configuration: config, logger: logs.logger()))
        let pipeline = try await Pipeline([sink], logger: logs.logger())
        defer { pipeline.stop() }
        var ids: [String] = []
        var restart: Task<Void, any Error>?
        for round in 0..<40 {
            ids += try await pipeline.poll(agents: 25).map(\.id)
            if round == 10 { restart = Task { try await TestPostgres.restart() } }
            if round > 10 { await Task.yield() }
        }
        try await restart?.value
        let total = ids.count
        #expect(await sink.delivered.wait(timeout: 60) { $0 >= total })
        let table = PostgresIdentifier.quoted(config.table)
        let client = TestPostgres.client(restartable: true)
        let counts = try await client.query("SELECT count(*)::text, count(DISTINCT id)::text FROM \(table)")[0]
        #expect(counts == [String(total), String(total)])
        let stored = try await client.query("SELECT id::text FROM \(table)").compactMap { $0[0] }
        #expect(Set(stored) == Set(ids))
        // The restart did break a delivery: the sink saw it, retried and came back.
        // Said once, by the queue (the sink used to log each failure a second time).
        #expect(logs.all.contains { $0.contains("delivery failed; will retry") && $0.contains("sink=postgres") })
        #expect(logs.all.contains { $0.contains("delivery resumed") && $0.contains("sink=postgres") })
        #expect(!logs.all.contains { $0.contains("PostgreSQL sink cannot deliver") })
    }

    /// `vicinotify schema --table routing.events | psql` needs the schema created first, and so does apply_schema.
    @Test func aTableInASchemaOfItsOwnIsCreatedWithItsSchema() async throws {
        let table = TestPostgres.uniqueName("routing") + ".events"
        let pipeline = try await Pipeline([])
        defer { pipeline.stop() }
        let events = try await pipeline.poll(agents: 2)
        let sink = PostgresSink(configuration: Self.configuration { $0.table = table }, logger: CapturedLogs().logger())
        #expect(await sink.deliver(events) == [.delivered, .delivered])
        #expect(try await Self.rows(table).count == 2)
    }

    @Test func aMissingTableOrAWrongPasswordRetriesWithAClearReason() async throws {
        let pipeline = try await Pipeline([])
        defer { pipeline.stop() }
        let events = try await pipeline.poll(agents: 2)

        let logs = CapturedLogs()
        let missing = Self.configuration { $0.applySchema = false }
        let outcomes = await PostgresSink(configuration: missing, logger: logs.logger()).deliver(events)
        guard case .retry(let reason, _)? = outcomes.first else { Issue.record("\(outcomes)"); return }
        #expect(outcomes.count == 2)
        #expect(reason.contains("table \(missing.table) does not exist") && reason.contains("schema.sql"))

        let password = "not-the-password-\(UInt32.random(in: 0 ... .max))"
        let wrong = Self.configuration { $0.connection.password = password }
        let sink = PostgresSink(configuration: wrong, logger: logs.logger())
        let error = await sink.connect()
        #expect(error?.description.contains("password authentication failed") == true)
        guard case .retry(let why, _)? = await sink.deliver(events).first else { Issue.record("delivered"); return }
        #expect(why.contains("password authentication failed"))
        #expect(!logs.all.contains { $0.contains(password) })
        // Logged once, not on every attempt.
        #expect(logs.all.filter { $0.contains("password authentication failed") }.count == 1)
    }

    @Test func schemaFileIsTheSchemaTheSinkApplies() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("schema.sql"), encoding: .utf8)
        #expect(file == PostgresSchema.sql(table: PostgresSchema.defaultTable))
    }

    @Test func schemaAppliesTwiceAndTheLatestViewShowsEachAgent() async throws {
        let table = TestPostgres.uniqueName("events")
        let client = PostgresClient(TestPostgres.options())
        try await client.withConnection { try $0.execute(script: PostgresSchema.sql(table: table)) }
        try await client.withConnection { try $0.execute(script: PostgresSchema.sql(table: table)) }
        let sink = PostgresSink(configuration: Self.configuration { $0.table = table; $0.applySchema = false }, logger: Logger(label: "t"))
        let pipeline = try await Pipeline([])
        defer { pipeline.stop() }
        _ = await sink.deliver(try await pipeline.poll(agents: 2))
        _ = await sink.deliver(try await pipeline.poll(agents: 2))
        let latest = try await client.query("SELECT agent, status, logged_in::text FROM \(PostgresIdentifier.quoted(table + "_latest")) ORDER BY agent")
        #expect(latest == [["a0", "READY", "true"], ["a1", "READY", "true"]])
    }
}
