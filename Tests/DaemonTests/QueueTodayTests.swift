import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// Today's figures (offered, answered, dropped, drop %, service level) from a scripted simulated day,
/// the drop-rate rule on them, and which campaigns' readers see an in-group.
@Suite struct QueueTodayTests {
    /// Four calls arrive 30, 22.5, 15 and 7.5 s ago; three ready agents take the three oldest (waits 30,
    /// 22.5 and 15 s: one within VICIdial's 20 s), and the last caller hangs up.
    @Test func aScriptedDayGivesKnownFiguresFromTheDatabaseAndNullsFromTheAPI() async throws {
        let db = try await TestMariaDB.database()
        let sim = try await RunningSimulator.start(agents: 4, mirror: TestMariaDB.options(database: db.name))
        var api = VICIdialSource(name: "api", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 3)
        api.queues = QueueSelection(inGroups: ["SUPPORT"], minInterval: 0, campaigns: ["SUPPORT": ["INBOUND"]])
        var database = DatabaseSourceTests.configuration(db.name).sources[0]
        database.vicidial.queues = QueueSelection(inGroups: ["SUPPORT"], minInterval: 0)
        var config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: api, eventSource: "vicidial://q"), database])
        config.queueAlerts = [QueueRule(name: "drops", queues: ["SUPPORT"], condition: .dropPercentAtLeast(20, minCalls: 4))]
        let sink = RecordingSink()
        let daemon = Daemon(configuration: config, sinks: [sink], logger: CapturedLogs().logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { $0.filter { $0.type == .loggedIn }.count == 8 })
        for agent in ["agent001", "agent002", "agent003"] { try await sim.set(agent, ["status": "READY", "pause_code": ""]) }
        try await sim.control(.post, "/sim/queues/SUPPORT", ["waiting": 4, "oldest_wait": 30])
        let answer = try await sim.control(.post, "/sim/queues/SUPPORT", ["answer": 3, "drop": 1])
        #expect(answer["offered"] as? Int == 4 && answer["answered"] as? Int == 3 && answer["dropped"] as? Int == 1, "\(answer)")

        @Sendable func today(_ e: [EncodedEvent]) -> [String: Any]? {
            QueueTests.queueEvents(e, source: "db").last.flatMap { $0["current"] as? [String: Any] }
        }
        #expect(await sink.wait { today($0)?["dropped"] as? Int == 1 && today($0)?["answered"] as? Int == 3 })
        #expect(await sink.wait { $0.contains { $0.type == .queueThresholdExceeded } })
        let events = await sink.events
        let d = try #require(today(events))
        #expect(d["offered"] as? Int == 4)
        #expect(d["answered_within_service_level"] as? Int == 1 && d["service_level_seconds"] as? Int == 20, "\(d)")
        #expect(d["drop_percent"] as? Double == 25 && d["service_level_percent"] as? Double == 33.33, "\(d)")
        let a = try #require(QueueTests.queueEvents(events, source: "api").last?["current"] as? [String: Any])
        for figure in ["offered", "answered", "dropped", "drop_percent", "service_level_percent"] {
            #expect(a[figure] is NSNull, "in_group_status gives no \(figure)")
        }
        // The drop-rate rule fired from the database's figures only (the API's are unknown).
        let fired = events.filter { $0.type == .queueThresholdExceeded }
        #expect(fired.map(\.sourceName) == ["db"])
        #expect(fired.first?.data["condition"] as? String == "drop_percent >= 20")

        // Scoping: the API's in-group belongs to the configured campaign, the database's to those whose
        // closer_campaigns list it (the simulator's agents' campaigns).
        let dbCampaigns = QueueTests.queueEvents(events, source: "db").last?["campaigns"] as? [String] ?? []
        let agentCampaigns = Set(events.filter { $0.type == .loggedIn && $0.sourceName == "db" }.compactMap(\.campaignID))
        #expect(Set(dbCampaigns) == agentCampaigns && dbCampaigns.contains("SALES"), "\(dbCampaigns)")
        func seen(_ campaigns: [String]) throws -> Set<String> {
            let list = try JSONSerialization.jsonObject(with: Data(daemon.live.queues(campaigns: campaigns))) as? [String: Any]
            return Set((list?["queues"] as? [[String: Any]] ?? []).filter { $0["queue"] as? String == "SUPPORT" }.compactMap { $0["source"] as? String })
        }
        #expect(try seen(["INBOUND"]) == ["api"])
        #expect(try seen(["SALES"]) == ["db"])
        #expect(try seen(["SALES", "INBOUND"]) == ["api", "db"])
        #expect(try seen(["OTHER"]).isEmpty)
        let scoped = EventFilter(campaigns: ["INBOUND"])
        #expect(events.filter { $0.type == .queueChanged && scoped.matches($0) }.allSatisfy { $0.sourceName == "api" })
        run.cancel()
        _ = try await run.value
        await sim.stop()
        await db.drop()
    }
}
