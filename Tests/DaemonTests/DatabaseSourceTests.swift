import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// The daemon with a database source on a real MariaDB: logins by `live_agent_id`, the report's clock in
/// `state_since` (exact even for agents on the floor before the daemon started), replica lag as a source
/// outage that logs nobody out.
@Suite struct DatabaseSourceTests {
    static func configuration(_ database: String, password: String = TestMariaDB.password) -> Configuration {
        var source = VICIdialSource(name: "db", url: "", user: "vicinotify_rw", password: password, mode: .database,
                                    interval: 0.1, timeout: 3, downAfter: 1)
        source.database = DatabaseLocation(port: TestMariaDB.port, name: database, user: "vicinotify_rw", password: password, maxLag: 5)
        return Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: source, eventSource: "vicidial-db://test")])
    }

    @Test func aRoomChangeIsAnUpdateAndANewLoginIsANewLiveAgentID() async throws {
        let db = try await TestMariaDB.database()
        try await db.run("""
            INSERT INTO vicidial_users (user, full_name, user_group, pass) VALUES ('a01','Ann','G','not-this-one'),('a02','Bob','G','p');
            INSERT INTO vicidial_live_agents (live_agent_id, user, conf_exten, status, campaign_id, last_state_change, last_call_time) VALUES
              (10,'a01','8600051','READY','TEST',NOW() - INTERVAL 300 SECOND,NOW()),(11,'a02','8600052','READY','TEST',NOW(),NOW());
            """)
        let inserted = Timestamp.now()
        let sink = RecordingSink()
        let logs = CapturedLogs()
        let daemon = Daemon(configuration: Self.configuration(db.name), sinks: [sink], logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 2) }
        #expect(await sink.wait { $0.count == 2 }, "two logins")
        let login = try #require(await sink.events.first { $0.subject == "a01" })
        let since = try #require(login.data["state_since"] as? String)
        let started = try #require(Timestamp(rfc3339: since))
        // 300 s before the insert (NOW() has whole seconds), however long the first poll took on a busy machine.
        #expect(abs(inserted.seconds(since: started) - 300) < 2.5, "the report's clock, not the first poll: \(since)")

        // "Leave 3-Way Call": a new conference room, the same login.
        _ = try await db.client.query("UPDATE vicidial_live_agents SET conf_exten = '8600099' WHERE user = 'a01'")
        #expect(await sink.wait { $0.contains { $0.subject == "a01" && $0.type == .updated } })
        // A new login in the same room (logout and login between two polls): a new live_agent_id.
        _ = try await db.client.query("""
            UPDATE vicidial_live_agents SET live_agent_id = 12, status = 'PAUSED', last_state_change = NOW() WHERE user = 'a02'
            """)
        #expect(await sink.wait { $0.contains { $0.subject == "a02" && $0.type == .loggedIn && $0.sequence > 2 } })
        run.cancel()
        _ = try await run.value
        await db.drop()

        let a01 = await sink.events.filter { $0.subject == "a01" }.map(\.type)
        #expect(a01 == [.loggedIn, .updated], "no logout for a room change: \(a01)")
        let update = try #require(await sink.events.first { $0.subject == "a01" && $0.type == .updated })
        #expect(update.data["changed"] as? [String] == ["session_id"])
        let a02 = await sink.events.filter { $0.subject == "a02" }.map(\.type)
        #expect(a02 == [.loggedIn, .loggedOut, .loggedIn], "\(a02)")
        #expect(!logs.text.contains(TestMariaDB.password))
    }

    @Test func aLaggingReplicaIsASourceOutageThatLogsNobodyOut() async throws {
        let db = try await TestMariaDB.database()
        try await db.run("""
            INSERT INTO vicidial_users (user, pass) VALUES ('a01','p');
            INSERT INTO vicidial_live_agents (user, conf_exten, status, campaign_id, last_state_change, last_call_time)
              VALUES ('a01','8600051','READY','TEST',NOW(),NOW());
            """)
        let sink = RecordingSink()
        let daemon = Daemon(configuration: Self.configuration(db.name), sinks: [sink], logger: CapturedLogs().logger())
        let run = Task { try await daemon.run(drainTimeout: 2) }
        #expect(await sink.wait { $0.count == 1 })
        // The replica stops applying: the agent's row, logged out on the master, is still there but old.
        _ = try await db.client.query("UPDATE vicidial_live_agents SET last_update_time = NOW() - INTERVAL 60 SECOND")
        #expect(await sink.wait { $0.contains { $0.type == .sourceDown } })
        let down = try #require(await sink.events.first { $0.type == .sourceDown })
        #expect(down.data["reason"] as? String == "replica_lag")
        _ = try await db.client.query("UPDATE vicidial_live_agents SET last_update_time = NOW()")
        #expect(await sink.wait { $0.contains { $0.type == .sourceUp } })
        run.cancel()
        _ = try await run.value
        await db.drop()
        #expect(!(await sink.events.contains { $0.type == .loggedOut }))
    }
}
