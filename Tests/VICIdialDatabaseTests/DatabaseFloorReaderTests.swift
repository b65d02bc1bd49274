import MariaDB
import TestSupport
import Testing
import VICIdial
import VICIdialDatabase
import VicinotifyCore

/// What the database source does when the database is not what it should be: each a failure with a
/// clear reason (so the source reports it and nobody is logged out), never a crash.
@Suite struct DatabaseFloorReaderTests {
    static let oneAgent = """
        INSERT INTO vicidial_users (user, full_name, user_group, pass) VALUES ('a01','A','G','p');
        INSERT INTO vicidial_live_agents (user, conf_exten, status, campaign_id, last_state_change, last_call_time)
          VALUES ('a01','8600051','READY','TEST',NOW(),NOW());
        """

    func poll(_ source: VICIdialSource) async -> Result<FloorSnapshot, PollFailure> {
        await DatabaseFloorReader(source: source).poll(known: KnownFloor())
    }

    @Test func aLaggingReplicaIsNotBelieved() async throws {
        let db = try await TestMariaDB.database()
        try await db.run(Self.oneAgent)
        #expect(try await poll(DerivationTests.source(db.name)).get().agents.count == 1)
        let before = ContinuousClock.now
        _ = try await db.client.query("UPDATE vicidial_live_agents SET last_update_time = NOW() - INTERVAL 30 SECOND")
        let failure = try #require(await poll(DerivationTests.source(db.name)).failure)
        let passed = Int((ContinuousClock.now - before).components.seconds) + 1  // whole seconds, and NOW()'s own rounding
        #expect(failure.reason == .replicaLag)
        let age = failure.message.firstMatch(of: /is (\d+) s old/).flatMap { Int($0.1) }
        #expect(age.map { (30...30 + passed).contains($0) } == true, "\(failure), \(passed) s after the update")
        #expect(try await poll(DerivationTests.source(db.name, maxLag: 60)).get().agents.count == 1, "within max_lag")
        await db.drop()
    }

    @Test func agentsOnCallsWithNoLiveCallAtAllAreNotBelieved() async throws {
        let db = try await TestMariaDB.database()
        try await db.run("""
            INSERT INTO vicidial_users (user, pass) VALUES ('a01','p'),('a02','p'),('a03','p');
            INSERT INTO vicidial_live_agents (user, conf_exten, status, lead_id, callerid, comments, last_state_change, last_call_time) VALUES
              ('a01','1','INCALL',1,'V1','AUTO',NOW(),NOW()),('a02','2','INCALL',2,'V2','AUTO',NOW(),NOW()),('a03','3','INCALL',3,'V3','AUTO',NOW(),NOW());
            """)
        #expect(try #require(await poll(DerivationTests.source(db.name)).failure).reason == .suspicious)
        _ = try await db.client.query("INSERT INTO vicidial_auto_calls (campaign_id, status, callerid, uniqueid, channel) VALUES ('T','XFER','V1','1.1','SIP/x')")
        let agents = try await poll(DerivationTests.source(db.name)).get().agents
        #expect(agents.map(\.subStatus).sorted() == ["", "DEAD", "DEAD"], "with one live call the floor is believed")
        await db.drop()
    }

    @Test func aWrongPasswordIsAccessDenied() async throws {
        let failure = try #require(await poll(DerivationTests.source("asterisk", user: "vicinotify_ro", password: "wrong-secret")).failure)
        #expect(failure.reason == .accessDenied)
        #expect(failure.isCredentialProblem)
        #expect(failure.message.contains("1045"), "\(failure)")
        #expect(!failure.message.contains("wrong-secret"))
    }

    @Test func nothingListeningIsATransportFailure() async throws {
        let failure = try #require(await poll(DerivationTests.source("asterisk", port: 9)).failure)
        #expect(failure.reason == .transport, "\(failure)")
        #expect(failure.message.contains("2002") || failure.message.contains("2003"), "\(failure)")
    }

    @Test func requiringTLSFromAServerWithoutItFailsClearly() async throws {
        var source = DerivationTests.source("asterisk", user: "vicinotify_ro")
        source.database?.requireTLS = true
        let failure = try #require(await poll(source).failure)
        #expect(failure.reason == .transport, "\(failure)")
        #expect(failure.message.contains("SSL") || failure.message.contains("TLS"), "\(failure)")
    }

    @Test func anOlderSchemaNamesTheMissingColumns() async throws {
        let db = try await TestMariaDB.database()
        _ = try await db.client.query("ALTER TABLE vicidial_live_agents DROP COLUMN preview_lead_id")
        let failure = try #require(await poll(DerivationTests.source(db.name)).failure)
        #expect(failure.reason == .schema)
        #expect(failure.message.contains("vicidial_live_agents.preview_lead_id"), "\(failure)")
        await db.drop()
    }

    /// The README's grants: Q1 and the queue statements run as the read-only user, which cannot read
    /// passwords or phone numbers.
    @Test func theReadOnlyUserOfTheGrantsReadsTheFloorAndNothingSecret() async throws {
        var source = DerivationTests.source("asterisk", user: "vicinotify_ro")
        source.queues = QueueSelection(all: true)
        let reader = DatabaseFloorReader(source: source)
        let snapshot = try await reader.poll(known: KnownFloor()).get()
        #expect(snapshot.queueFailure == nil, "\(snapshot.queueFailure.map(String.init(describing:)) ?? "")")
        #expect(snapshot.queues != nil)
        let ro = MariaDBClient(TestMariaDB.options(database: "asterisk", user: "vicinotify_ro"))
        for secret in ["SELECT pass FROM vicidial_users", "SELECT phone_number FROM vicidial_auto_calls", "SELECT * FROM vicidial_users",
                       "UPDATE vicidial_live_agents SET status = 'READY'"] {
            do {
                _ = try await ro.query(secret)
                Issue.record("\(secret) was allowed")
            } catch {
                #expect([1142, 1143].contains(error.number), "\(secret): \(error)")
            }
        }
    }
}

extension Result {
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}
