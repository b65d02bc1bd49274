import CurlHTTP
import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// Queues from both source kinds on one simulated floor: `vicidial.queue.changed` events, `/v1/queues`
/// and the Prometheus gauges, the API's nulls beside the database's waits, and an unknown in-group.
@Suite struct QueueTests {
    static func queueEvents(_ events: [EncodedEvent], source: String) -> [[String: Any]] {
        events.filter { $0.type == .queueChanged && $0.sourceName == source && $0.subject == "queue:SUPPORT" }
            .map(\.data)
    }

    @Test func bothSourcesTellTheQueueAndTheDatabaseAlsoItsOldestWait() async throws {
        let db = try await TestMariaDB.database()
        let sim = try await RunningSimulator.start(agents: 4, mirror: TestMariaDB.options(database: db.name))
        var api = VICIdialSource(name: "api", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 3)
        api.queues = QueueSelection(inGroups: ["SUPPORT"], minInterval: 0)
        var database = DatabaseSourceTests.configuration(db.name).sources[0]
        database.vicidial.name = "db"
        database.vicidial.queues = QueueSelection(inGroups: ["SUPPORT"], minInterval: 0)
        var config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: api, eventSource: "vicidial://q"), database])
        config.httpListen = ("127.0.0.1", 0)
        let sink = RecordingSink()
        let logs = CapturedLogs()
        let daemon = Daemon(configuration: config, sinks: [sink], logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { e in ["api", "db"].allSatisfy { !Self.queueEvents(e, source: $0).isEmpty } }, "each source's first sight")
        try await sim.set("agent001", ["status": "READY", "pause_code": ""])
        try await sim.control(.post, "/sim/queues/SUPPORT", ["waiting": 3, "oldest_wait": 40])
        let waiting = await sink.wait { e in
            ["api", "db"].allSatisfy { s in Self.queueEvents(e, source: s).contains { ($0["current"] as? [String: Any])?["calls_waiting"] as? Int == 3 } }
        }
        let events = await sink.events
        #expect(waiting, "\(events.filter { $0.type == .queueChanged }.map { String(decoding: $0.json, as: UTF8.self) })")
        let a = try #require(Self.queueEvents(events, source: "api").last?["current"] as? [String: Any])
        let d = try #require(Self.queueEvents(events, source: "db").last?["current"] as? [String: Any])
        #expect(a["oldest_wait_seconds"] is NSNull, "in_group_status gives no waits")
        #expect((40...50).contains(d["oldest_wait_seconds"] as? Int ?? -1), "\(d)")
        for figure in ["calls_waiting", "agents_logged_in", "agents_ready"] {
            #expect(a[figure] as? Int == d[figure] as? Int, "\(figure): API \(a[figure] ?? "-"), database \(d[figure] ?? "-")")
        }
        #expect(events.first { $0.type == .queueChanged }?.subject == "queue:SUPPORT")
        // Who can take SUPPORT now: the database source's agents carry their in-groups (the API's do not).
        let login = try #require(events.first { $0.type == .loggedIn && $0.sourceName == "db" })
        let current = login.data["current"] as? [String: Any]
        #expect(current?["in_groups"] as? [String] == ["BILLING", "SUPPORT"], "\(current ?? [:])")
        let apiLogin = try #require(events.first { $0.type == .loggedIn && $0.sourceName == "api" })
        #expect(!String(decoding: apiLogin.json, as: UTF8.self).contains("in_groups"))

        let port = Int(logs.all.first { $0.contains("serving /metrics") }?.split(separator: ":").last?.prefix { $0.isNumber } ?? "") ?? 0
        // The list is recorded after the commit that the sink may already have: wait for it, bounded.
        var queues: [[String: Any]] = []
        for _ in 0..<100 {
            let list = try await sim.http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/queues", timeout: 5))
            queues = ((try JSONSerialization.jsonObject(with: Data(list.body)) as? [String: Any])?["queues"] as? [[String: Any]] ?? [])
                .filter { $0["kind"] as? String == "in_group" }  // the simulator also has a SUPPORT campaign
            if queues.count == 2, queues.allSatisfy({ ($0["figures"] as? [String: Any])?["calls_waiting"] as? Int == 3 }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(Set(queues.compactMap { $0["source"] as? String }) == ["api", "db"])
        #expect(queues.allSatisfy { ($0["figures"] as? [String: Any])?["calls_waiting"] as? Int == 3 }, "\(queues)")
        let metrics = String(decoding: try await sim.http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics", timeout: 5)).body, as: UTF8.self)
        #expect(metrics.contains(#"vicinotify_queue_calls_waiting{source="api",queue="SUPPORT"} 3"#), "\(metrics)")
        #expect(metrics.contains(#"vicinotify_queue_oldest_wait_seconds{source="db",queue="SUPPORT"}"#))
        run.cancel()
        _ = try await run.value
        await sim.stop()
        await db.drop()
    }

    @Test func anUnknownInGroupIsSaidOnceAndTheAgentsGoOn() async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        var api = VICIdialSource(name: "api", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 3)
        api.queues = QueueSelection(inGroups: ["SUPPORT", "NOPE"])
        let config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: api, eventSource: "vicidial://q")])
        let sink = RecordingSink()
        let logs = CapturedLogs()
        let run = Task { try await Daemon(configuration: config, sinks: [sink], logger: logs.logger()).run(drainTimeout: 1) }
        #expect(await sink.wait { $0.filter { $0.type == .loggedIn }.count == 2 })
        try await sim.set("agent001", ["status": "READY"])
        #expect(await sink.wait { $0.contains { $0.type == .statusChanged } }, "agents go on")
        #expect(await logs.wait { $0.contains { $0.contains("cannot read the queues") && $0.contains("NOPE") } })
        try await sim.set("agent001", ["status": "PAUSED"])
        #expect(await sink.wait { $0.filter { $0.type == .statusChanged }.count == 2 })
        run.cancel()
        _ = try await run.value
        await sim.stop()
        #expect(logs.all.filter { $0.contains("cannot read the queues") }.count == 1, "said once")
        #expect(!(await sink.events.contains { $0.type == .sourceDown }))
    }

    /// A queue rule fires once it has held, and clears once, as events with the rule and the figures.
    @Test func aQueueRuleFiresAndClears() async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        var api = VICIdialSource(name: "api", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 3)
        api.queues = QueueSelection(inGroups: ["SUPPORT"], minInterval: 0)
        var config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: api, eventSource: "vicidial://q")])
        config.queueAlerts = [QueueRule(name: "backlog", queues: ["SUPPORT"], condition: .callsWaitingAtLeast(3))]
        let sink = RecordingSink()
        let run = Task { try await Daemon(configuration: config, sinks: [sink], logger: CapturedLogs().logger()).run(drainTimeout: 1) }
        #expect(await sink.wait { $0.contains { $0.type == .queueChanged } })
        try await sim.control(.post, "/sim/queues/SUPPORT", ["waiting": 4])
        #expect(await sink.wait { $0.contains { $0.type == .queueThresholdExceeded } })
        try await sim.control(.post, "/sim/queues/SUPPORT", ["waiting": 0])
        #expect(await sink.wait { $0.contains { $0.type == .queueThresholdCleared } })
        run.cancel()
        _ = try await run.value
        await sim.stop()
        let alerts = await sink.events.filter { $0.type == .queueThresholdExceeded || $0.type == .queueThresholdCleared }
        #expect(alerts.map(\.type) == [.queueThresholdExceeded, .queueThresholdCleared])
        let data = alerts[0].data
        #expect(data["rule"] as? String == "backlog" && data["condition"] as? String == "calls_waiting >= 3")
        #expect((data["current"] as? [String: Any])?["calls_waiting"] as? Int == 4)
        #expect(alerts[0].subject == "queue:SUPPORT")
    }
}
