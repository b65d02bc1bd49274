import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// The API source as VICIdial's real-time report sees the floor (issue "Fidelity III"), scripted on the
/// simulator: a room change that is no login, the report's clock beside ours, the pause code in DISPO,
/// the call-type hint.
@Suite struct ReportFidelityTests {
    func run(_ script: @Sendable (RunningSimulator, RecordingSink) async throws -> Void) async throws -> [EncodedEvent] {
        let sim = try await RunningSimulator.start(agents: 2)
        let source = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 5)
        let config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: source, eventSource: "vicidial://sim")])
        let sink = RecordingSink()
        let daemon = Daemon(configuration: config, sinks: [sink], logger: CapturedLogs().logger())
        let task = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { $0.count == 2 }, "two logins")
        try await script(sim, sink)
        task.cancel()
        _ = try await task.value
        await sim.stop()
        return await sink.events.filter { $0.subject == "agent001" }
    }

    /// Sets `fields` and waits for agent001's next event.
    static func step(_ sim: RunningSimulator, _ sink: RecordingSink, _ fields: [String: Any]) async throws {
        let before = await sink.events.filter { $0.subject == "agent001" }.count
        try await sim.set("agent001", fields)
        #expect(await sink.wait { $0.filter { $0.subject == "agent001" }.count > before }, "\(fields)")
    }

    @Test func leavingAThreeWayCallIsARoomChangeNotALogin() async throws {
        let events = try await run { sim, sink in
            try await Self.step(sim, sink, ["status": "INCALL", "lead_id": 9, "call_type": "auto"])
            try await Self.step(sim, sink, ["session_id": "8600099"])  // Leave 3-Way Call: a new room, still on the call
        }
        #expect(events.map(\.type) == [.loggedIn, .statusChanged, .updated])
        #expect(events[2].data["changed"] as? [String] == ["session_id"])
    }

    @Test func theReportsClockRunsFromTheCallAndThePauseBesideOurs() async throws {
        let events = try await run { sim, sink in
            try await Self.step(sim, sink, ["status": "INCALL", "lead_id": 9, "call_type": "auto"])
            try await Self.step(sim, sink, ["parked": true])
            try await Self.step(sim, sink, ["parked": false])
            try await Self.step(sim, sink, ["status": "PAUSED", "pause_code": "", "lead_id": 0, "callerid": ""])
            try await Self.step(sim, sink, ["pause_code": "BREAK"])
        }
        let d = events.map(\.data)
        #expect(events.map(\.type) == [.loggedIn, .statusChanged, .statusChanged, .statusChanged, .statusChanged, .statusChanged])
        let callStart = try #require(d[1]["state_since"] as? String)
        #expect(d[2]["state_since"] as? String == callStart, "PARK counts from the call's start")
        #expect(d[3]["state_since"] as? String == callStart, "back from PARK: still the call's clock")
        #expect(d[3]["status_since"] as? String != callStart, "status_since is our exact change time")
        #expect(d[3]["status_since"] as? String == events[3].time.description)
        let pauseStart = try #require(d[4]["state_since"] as? String)
        #expect(d[5]["state_since"] as? String == pauseStart, "the first pause code does not restart the report's clock")
        #expect(d[5]["status_since"] as? String == events[5].time.description)
    }

    @Test func dispoBlanksThePauseCodeAndJIsAnInboundHint() async throws {
        let events = try await run { sim, sink in
            try await Self.step(sim, sink, ["status": "INCALL", "lead_id": 9, "callerid": "J1124193007000004004"])
            try await Self.step(sim, sink, ["status": "PAUSED", "pause_code": "LOGIN"])  // DISPO after the first call
        }
        let inCall = try #require(events[1].data["current"] as? [String: Any])
        #expect(inCall["call_type_hint"] as? String == "inbound", "a closer transfer: the report's I")
        #expect(inCall["call_type"] == nil, "the API cannot know the report's letter")
        let dispo = try #require(events[2].data["current"] as? [String: Any])
        #expect(dispo["sub_status"] as? String == "DISPO")
        #expect(dispo["pause_code"] as? String == "", "the report shows no pause code in DISPO")
    }
}
