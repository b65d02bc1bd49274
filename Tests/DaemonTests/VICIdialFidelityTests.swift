import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// The daemon against the simulator where VICIdial's PHP surprises: lockouts, filtered answers, sessions.
@Suite struct VICIdialFidelityTests {
    static let password = "fidelity-Secret-7"

    func configuration(_ sim: RunningSimulator, _ configure: (inout VICIdialSource) -> Void) -> Configuration {
        var s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: Self.password, interval: 0.25, timeout: 5)
        configure(&s)
        return Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: s, eventSource: "vicidial://sim")])
    }

    func start(_ config: Configuration, _ sink: RecordingSink, _ logs: CapturedLogs = CapturedLogs()) -> Task<[PollReport], any Error> {
        let daemon = Daemon(configuration: config, sinks: [sink], logger: logs.logger())
        return Task { try await daemon.run(drainTimeout: 1) }
    }

    func stats(_ sim: RunningSimulator) async throws -> (failed: Int, locked: Bool) {
        let stats = try await sim.control(.get, "/sim/stats")
        let account = (stats["accounts"] as? [String: Any])?["apiuser"] as? [String: Any]
        return ((account?["failed_login_count"] as? NSNumber)?.intValue ?? -1, (stats["locked"] as? NSNumber)?.boolValue ?? true)
    }

    /// 60 s with a wrong password in both modes, 12 agents, 8 at once, a 1 s backoff doubling: at most one
    /// failed login per backoff period, and the account (last logged in just before) never locks.
    @Test func aWrongPasswordNeverLocksTheAPIUser() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for mode in [VICIdialSource.Mode.agentStatus, .loggedInAgents] {
                group.addTask {
                    let sim = try await RunningSimulator.start(agents: 12)
                    try await sim.auth(["password": Self.password])
                    let good = VICIdialSource(name: "good", url: sim.apiURL, user: "apiuser", password: Self.password)
                    _ = try await VICIdialClient(source: good, transport: sim.http).poll().get()  // last login: now
                    let sink = RecordingSink()
                    let run = start(configuration(sim) {
                        $0.password = "wrong-one"
                        $0.mode = mode
                        $0.agents = mode == .agentStatus ? (1...12).map { String(format: "agent%03d", $0) } : []
                        $0.concurrency = 8
                        $0.authBackoff = 1
                        $0.downAfter = 1
                    }, sink)
                    let started = ContinuousClock.now
                    var worst = 0
                    while ContinuousClock.now - started < .seconds(60) {
                        try await Task.sleep(for: .milliseconds(500))
                        let (failed, locked) = try await stats(sim)
                        #expect(!locked, "\(mode): the API user is locked")
                        // Polls at 0, 1, 3, 7, 15, 31 s: one failed login each at most.
                        let elapsed = (ContinuousClock.now - started).seconds
                        let periods = Int(log2(max(1, elapsed + 1))) + 1
                        #expect(failed <= periods, "\(mode): \(failed) failed logins in \(elapsed) s")
                        worst = max(worst, failed)
                    }
                    run.cancel()
                    _ = try await run.value
                    let (failed, _) = try await stats(sim)
                    let sent = mode == .agentStatus
                        ? try await sim.requests("agent_status") : try await sim.requests("logged_in_agents") - 1
                    #expect(sent == failed, "\(mode): every request sent was one failed login, none more")
                    #expect(worst >= 5 && failed <= 7, "\(mode): it kept trying, slowly: \(failed)")
                    await sim.stop()
                }
            }
            try await group.waitForAll()
        }
    }

    /// Polls pass (three more `logged_in_agents` requests) and the sink still holds `count` events.
    func quietFor3Polls(_ sim: RunningSimulator, _ sink: RecordingSink, count: Int) async throws {
        let now = try await sim.requests("logged_in_agents")
        #expect(try await sim.waitForRequests("logged_in_agents", atLeast: now + 3))
        #expect(await sink.events.count == count, "no event while nothing changed in view")
    }

    @Test(arguments: ["campaign", "user_group"])
    func aMoveOutOfAFilterIsOneEventNeverALogout(_ filter: String) async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        try await sim.auth(["password": Self.password])
        for user in ["agent001", "agent002", "agent003"] {
            try await sim.set(user, ["campaign_id": "SALES", "user_group": "AGENTS", "status": "READY"])
        }
        let sink = RecordingSink()
        let run = start(configuration(sim) {
            if filter == "campaign" { $0.campaigns = ["SALES"] } else { $0.userGroups = ["AGENTS"] }
        }, sink)
        #expect(await sink.wait { $0.count == 3 })
        let (field, away) = filter == "campaign" ? ("campaign_id", "SUPPORT") : ("user_group", "NIGHT")
        try await sim.set("agent002", [field: away])
        #expect(await sink.wait { $0.count == 4 })
        let move = try #require(await sink.events.last)
        #expect(move.subject == "agent002")
        #expect(move.type == .updated)
        #expect(move.data["changed"] as? [String] == [field])
        #expect((move.data["current"] as? [String: Any])?[field] as? String == away)
        try await quietFor3Polls(sim, sink, count: 4)

        try await sim.set("agent002", [field: filter == "campaign" ? "SALES" : "AGENTS"])
        #expect(await sink.wait { $0.count == 5 })
        #expect(await sink.events.last?.type == .updated, "back in view: one event showing the move back")
        try await sim.logout("agent003")
        #expect(await sink.wait { $0.count == 6 })
        run.cancel()
        _ = try await run.value
        let events = await sink.events
        #expect(events.filter { $0.type == .loggedOut }.map(\.subject) == ["agent003"], "only the real logout")
        #expect(events.filter { $0.type == .loggedIn }.count == 3)
        #expect(try await sim.requests("agent_status") <= 4, "agent_status only for vanished agents")
        await sim.stop()
    }

    @Test func aRestrictedAPIUserGetsNoFalseLogouts() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        try await sim.auth(["password": Self.password, "viewable_groups": ["AGENTS"], "allowed_campaigns": ["SALES"]])
        for user in ["agent001", "agent002", "agent003"] {
            try await sim.set(user, ["campaign_id": "SALES", "user_group": "AGENTS", "status": "READY"])
        }
        let sink = RecordingSink()
        let logs = CapturedLogs()
        let run = start(configuration(sim) { $0.verifyLogouts = .always }, sink, logs)
        #expect(await sink.wait { $0.count == 3 })
        // Out of the viewable groups: agent_status says AGENT NOT FOUND. Kept as last seen, nothing emitted.
        try await sim.set("agent002", ["user_group": "NIGHT"])
        #expect(try await sim.waitForRequests("agent_status", atLeast: 1))
        try await quietFor3Polls(sim, sink, count: 3)
        #expect(logs.text.contains("admin_viewable_groups"))
        try await sim.set("agent002", ["user_group": "AGENTS"])
        // Out of allowed_campaigns: agent_status (which ignores them) shows the move.
        try await sim.set("agent003", ["campaign_id": "SUPPORT"])
        #expect(await sink.wait { $0.count == 4 })
        #expect(await sink.events.last?.subject == "agent003")
        #expect(await sink.events.last?.type == .updated)
        try await quietFor3Polls(sim, sink, count: 4)
        try await sim.logout("agent001")
        #expect(await sink.wait { $0.contains { $0.type == .loggedOut } })
        run.cancel()
        _ = try await run.value
        #expect(await sink.events.filter { $0.type == .loggedOut }.map(\.subject) == ["agent001"])
        await sim.stop()
    }

    @Test func aNewSessionBetweenTwoPollsIsALogoutThenALogin() async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        try await sim.auth(["password": Self.password])
        try await sim.set("agent001", ["status": "INCALL", "lead_id": 9, "call_type": "auto"])
        let sink = RecordingSink()
        let run = start(configuration(sim) { _ in }, sink)
        #expect(await sink.wait { $0.count == 2 })
        try await sim.set("agent001", ["status": "PAUSED", "pause_code": "LOGIN", "lead_id": 0, "callerid": "", "session_id": "8600099"])
        #expect(await sink.wait { $0.count == 4 })
        try await sim.set("agent001", ["status": "READY"])
        #expect(await sink.wait { $0.count == 5 })
        run.cancel()
        _ = try await run.value
        let events = await sink.events.filter { $0.subject == "agent001" }
        #expect(events.map(\.type) == [.loggedIn, .loggedOut, .loggedIn, .statusChanged])
        #expect(events[1].sequence + 1 == events[2].sequence, "in the same poll, logout first")
        var last: [String: Any]? = nil
        for e in events {
            let d = e.data
            if let last { #expect(NSDictionary(dictionary: last).isEqual(d["previous"] as? [String: Any] ?? [:])) }
            else { #expect(d["previous"] is NSNull) }
            last = d["current"] as? [String: Any]
        }
        #expect((events[0].data["current"] as? [String: Any])?["call_type_hint"] as? String == "auto")
        await sim.stop()
    }
}
