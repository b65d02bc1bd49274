import Postgres
import Testing
import TestSupport

@Suite struct PostgresConnectionTests {
    @Test func parametersTravelAsValuesNeverAsSQL() async throws {
        let hostile = "x'); DROP TABLE pg_class; --\u{e9}"
        let rows = try await TestPostgres.client().query("SELECT $1::text, $2::text IS NULL, length($1)", [hostile, nil])
        #expect(rows == [[hostile, "t", String(hostile.count)]])
    }

    @Test func statementErrorsCarrySQLStateAndKeepTheConnection() async throws {
        let client = TestPostgres.client()
        let pid = try await client.query("SELECT pg_backend_pid()")[0][0]
        await #expect(throws: PostgresError.self) { try await client.query("SELECT * FROM no_such_table") }
        do {
            try await client.query("SELECT * FROM no_such_table")
        } catch let error as PostgresError {
            #expect(error.kind == .statement)
            #expect(error.sqlState == "42P01")
            #expect(error.description.contains("relation \"no_such_table\" does not exist"))
        }
        #expect(try await client.query("SELECT pg_backend_pid()")[0][0] == pid)
    }

    @Test func wrongPasswordIsAConnectErrorThatNeverShowsThePassword() throws {
        let password = "wrong-\(UInt32.random(in: 0 ... .max))"
        do {
            _ = try PostgresConnection(TestPostgres.options(password: password))
            Issue.record("connected with a wrong password")
        } catch let error as PostgresError {
            #expect(error.kind == .connect)
            #expect(error.description.contains("password authentication failed for user \"vicinotify\""))
            #expect(!error.description.contains(password))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func aLostConnectionIsReportedAndTheClientReconnects() async throws {
        let client = TestPostgres.client()
        let pid = try #require(try await client.query("SELECT pg_backend_pid()")[0][0])
        try await TestPostgres.client().query("SELECT pg_terminate_backend($1::int)", [pid])
        do {
            try await client.query("SELECT 1")
            Issue.record("a terminated backend answered")
        } catch let error as PostgresError {
            #expect(error.isConnectionProblem)
        }
        let again = try await client.query("SELECT pg_backend_pid()")[0][0]
        #expect(again != nil && again != pid)
    }

    @Test func listenerReceivesNotificationsInCommitOrder() async throws {
        let channel = TestPostgres.uniqueName("ch")
        let listener = try await NotificationListener(channel: channel)
        let client = TestPostgres.client()
        for i in 1...3 { try await client.query("SELECT pg_notify($1, $2)", [channel, "n\(i)"]) }
        #expect(await listener.received.wait { $0.count >= 3 })
        #expect(listener.received.value.map(\.payload) == ["n1", "n2", "n3"])
        #expect(listener.received.value.allSatisfy { $0.channel == channel })
        await listener.stop()
    }

    @Test func identifiersAreValidatedBeforeQuoting() {
        #expect(PostgresIdentifier.problem(with: "agent_events", qualified: false) == nil)
        #expect(PostgresIdentifier.problem(with: "routing.agent_events", qualified: true) == nil)
        #expect(PostgresIdentifier.problem(with: "routing.agent_events", qualified: false) != nil)
        for bad in ["", "1abc", "Agent", "a-b", "a\"b", "a b", "a.b.c", String(repeating: "a", count: 64)] {
            #expect(PostgresIdentifier.problem(with: bad, qualified: true) != nil, "\(bad)")
        }
        #expect(PostgresIdentifier.quoted("routing.user") == "\"routing\".\"user\"")
    }
}
