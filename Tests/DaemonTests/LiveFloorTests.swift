import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// `GET /v1/agents`'s content: the floor now, from the polls that feed the sinks.
@Suite struct LiveFloorTests {
    func json(_ bytes: [UInt8]?) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes ?? [])) as? [String: Any])
    }

    @Test func theListIsTheFloorWithHealthCountsAndItsPosition() async throws {
        let sim = try await RunningSimulator.start(agents: 4)
        try await sim.set("agent001", ["status": "INCALL", "lead_id": 7, "call_type": "inbound"])
        try await sim.set("agent002", ["status": "READY"])
        try await sim.set("agent003", ["status": "PAUSED", "pause_code": "BRK2"])
        try await sim.set("agent004", ["status": "INCALL", "lead_id": 9, "customer_gone": true])
        let s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 5)
        let config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: s, eventSource: "vicidial://sim")])
        let sink = RecordingSink()
        let daemon = Daemon(configuration: config, sinks: [sink], logger: CapturedLogs().logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { $0.count == 4 })

        let list = try json(daemon.live.list(LiveFloor.Query()))
        let agents = try #require(list["agents"] as? [[String: Any]])
        #expect(Set(agents.map { $0["agent"] as? String ?? "" }) == ["agent001", "agent002", "agent003", "agent004"])
        #expect((list["sequence"] as? Int ?? 0) >= 4, "the journal position of the logins")
        let a1 = try #require(agents.first { $0["agent"] as? String == "agent001" })
        #expect((a1["state"] as? [String: Any])?["call_type_hint"] as? String == "inbound")
        #expect(a1["state_since"] is NSNull, "already INCALL at the first poll")
        let health = try #require((list["sources"] as? [String: Any])?["sim"] as? [String: Any])
        #expect(health["up"] as? Bool == true && health["stale"] as? Bool == false)
        let summary = try #require(health["summary"] as? [String: Int])
        #expect(summary == ["logged_in": 4, "in_calls": 1, "waiting": 1, "paused": 1, "dead": 1, "dispo": 0, "dialling": 0])

        var q = LiveFloor.Query()
        q.statuses = ["PAUSED"]
        #expect(try (json(daemon.live.list(q))["agents"] as? [[String: Any]])?.map { $0["agent"] as? String } == ["agent003"])
        try await sim.set("agent002", ["status": "PAUSED", "pause_code": "LUNCH"])
        #expect(await sink.wait { $0.count == 5 })
        let a2 = try json(daemon.live.agent(source: "sim", user: "agent002"))
        #expect(a2["state_since"] is String, "the pause began while watched")
        #expect(daemon.live.agent(source: "sim", user: "nobody") == nil)

        try await sim.fault(["status": 500, "count": 0])
        #expect(try await sim.waitForRequests("logged_in_agents", atLeast: try await sim.requests("logged_in_agents") + 2))
        let stale = try json(daemon.live.list(LiveFloor.Query()))
        let staleHealth = try #require((stale["sources"] as? [String: Any])?["sim"] as? [String: Any])
        #expect(staleHealth["stale"] as? Bool == true && staleHealth["up"] as? Bool == false)
        #expect(staleHealth["last_failure"] as? String == "http_status")
        #expect((stale["agents"] as? [Any])?.count == 4, "silence never looks like an empty floor")
        run.cancel()
        _ = try await run.value
        await sim.stop()
    }

    /// Shift figures: an agent found logged in counts from first sight; one who logs in while watched
    /// counts from the login, with a call, talk, wait and dispo time and the break by its code.
    @Test func eachAgentCarriesItsShiftSinceTheLogin() async throws {
        let sim = try await RunningSimulator.start(agents: 1)
        let s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 5)
        let config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: s, eventSource: "vicidial://sim")])
        let sink = RecordingSink()
        let daemon = Daemon(configuration: config, sinks: [sink], logger: CapturedLogs().logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { $0.count == 1 })
        try await sim.set("late01", ["status": "PAUSED", "pause_code": "LOGIN"])
        #expect(await sink.wait { $0.count == 2 }, "the login")
        for (n, fields) in [["status": "READY", "pause_code": ""], ["status": "INCALL", "lead_id": 5, "call_type": "inbound"],
                            ["status": "PAUSED", "pause_code": ""], ["status": "PAUSED", "pause_code": "BRK", "lead_id": 0]].enumerated() {
            try await sim.set("late01", fields)
            #expect(await sink.wait { $0.filter { $0.subject == "late01" }.count >= n + 2 })
        }
        let late = try #require(try json(daemon.live.agent(source: "sim", user: "late01"))["shift"] as? [String: Any])
        #expect(late["from_login"] as? Bool == true && late["complete"] as? Bool == true && late["source"] as? String == "observed")
        #expect(late["calls"] as? Int == 1, "\(late)")
        for figure in ["talk_seconds", "wait_seconds", "dispo_seconds"] { #expect((late[figure] as? Double ?? 0) > 0, "\(figure): \(late)") }
        let pauses = try #require(late["pause_seconds_by_code"] as? [String: Double])
        #expect(Set(pauses.keys) == ["LOGIN", "BRK"], "\(pauses)")
        #expect((late["pause_seconds"] as? Double ?? 0) >= pauses.values.reduce(0, +) - 0.002)
        let first = try #require(try json(daemon.live.agent(source: "sim", user: "agent001"))["shift"] as? [String: Any])
        #expect(first["from_login"] as? Bool == false, "logged in before the daemon started")
        run.cancel()
        _ = try await run.value
        await sim.stop()
    }
}
