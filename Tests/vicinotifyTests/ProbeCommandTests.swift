import Foundation
import TestSupport
import Testing

/// `vicinotify probe`: one poll per source, nothing journaled, what it saw or the exact problem.
@Suite struct ProbeCommandTests {
    @Test func probeSaysWhatEachSourceSawAndWhatFailed() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        try await sim.set("agent002", ["status": "INCALL", "lead_id": 5, "call_type": "auto", "customer_gone": true])
        let db = try await TestMariaDB.database()
        try await db.run("""
            INSERT INTO vicidial_users (user, pass) VALUES ('a01','p');
            INSERT INTO vicidial_live_agents (user, conf_exten, status, campaign_id, last_state_change, last_call_time, last_update_time)
              VALUES ('a01','8600051','READY','TEST',NOW(),NOW(),NOW() - INTERVAL 20 SECOND);
            """)
        let dir = TemporaryDirectory("vn-probe")
        defer { dir.remove() }
        func write(_ sources: String) throws -> String {
            let path = dir.file("config-\(UUID().uuidString).json")
            try Data(#"{"state_dir": "state", "sources": [\#(sources)]}"#.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        let api = #"{"name": "api", "url": "\#(sim.apiURL)", "user": "apiuser", "password": "apipass"}"#
        let database = #"{"name": "db", "mode": "database", "database": {"port": \#(TestMariaDB.port), "name": "\#(db.name)", "user": "vicinotify_rw", "password_env": "VN_PROBE_DB", "max_lag": "2m"}}"#
        let good = try await CommandLineTests.run(["probe", "--config", try write(api + ", " + database)],
                                                  environment: ["VN_PROBE_DB": TestMariaDB.password])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("api (logged_in_agents, \(sim.apiURL)): 3 agents"), "\(good.stdout)")
        #expect(good.stdout.contains("INCALL DEAD 1"), "\(good.stdout)")
        #expect(good.stdout.contains("db (database, mysql://vicinotify_rw@127.0.0.1:\(TestMariaDB.port)/\(db.name)): 1 agent in"), "\(good.stdout)")
        let lag = good.stdout.firstRange(of: /replica lag (\d+) s/).flatMap { Int(good.stdout[$0].dropFirst(12).dropLast(2)) }
        #expect((20...60).contains(lag ?? -1), "the row was written 20 s in the past: \(good.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("state")), "nothing journaled")

        let bad = try await CommandLineTests.run(["probe", "--config", try write(database)], environment: ["VN_PROBE_DB": "wrong-pass"])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("FAILED") && bad.stdout.contains("access_denied") && bad.stdout.contains("1045"), "\(bad.stdout)")
        #expect(!bad.stdout.contains("wrong-pass") && !bad.stderr.contains("wrong-pass"))
        await sim.stop()
        await db.drop()
    }

    @Test func checkConfigNamesEveryDatabaseProblem() async throws {
        let dir = TemporaryDirectory("vn-dbconfig")
        defer { dir.remove() }
        let path = dir.file("config.json")
        try Data(#"""
            {"sources": [{"name": "db", "mode": "database", "url": "http://x/vicidial/non_agent_api.php"},
                         {"name": "db2", "mode": "database", "database": {"user": "ro", "password_env": "VN_UNSET_DB", "host": "h",
                                                                          "socket": "/run/mysqld.sock", "max_lag": "0s", "colour": 1}},
                         {"name": "api", "url": "http://127.0.0.1:9/vicidial/non_agent_api.php", "user": "u", "password": "p",
                          "queues": {"in_groups": "all"}},
                         {"name": "api2", "url": "http://127.0.0.1:9/vicidial/non_agent_api.php", "user": "u", "password": "p",
                          "queues": {"in_groups": ["SUPPORT"], "campaigns": ["SALES"]}}]}
            """#.utf8).write(to: URL(fileURLWithPath: path))
        let result = try await CommandLineTests.run(["check-config", "--config", path])
        #expect(result.status == 2)
        for line in ["sources[0].url: not used by a database source", "sources[0].database: a database source needs a database block",
                     "sources[1].database.colour: unknown key", "sources[1].database.password_env: environment variable VN_UNSET_DB is not set",
                     "sources[1].database: give host (and port) or socket, not both", "sources[1].database.max_lag:",
                     "sources[2].queues.in_groups: \"all\" needs a database source",
                     "sources[3].queues.campaigns: expected an object: each in-group's campaigns"] {
            #expect(result.stderr.contains(line), "\(line) in \(result.stderr)")
        }
    }
}
