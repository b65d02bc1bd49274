import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// One scripted floor, two sources: the simulator's API and its mirror in MariaDB's VICIdial tables
/// (`simulate --mirror-db`). Both must tell the same story: per agent, the same event types with the same
/// status, sub-status and pause code, step by step.
@Suite struct SourceParityTests {
    typealias Step = (user: String, fields: [String: Any]?)

    static var steps: [Step] {[
        ("agent001", ["status": "READY", "pause_code": ""]),
        ("agent001", ["status": "INCALL", "lead_id": 11, "call_type": "auto"]),
        ("agent001", ["parked": true]),
        ("agent001", ["parked": false]),
        ("agent001", ["customer_gone": true]),
        ("agent001", ["status": "PAUSED", "customer_gone": false]),  // DISPO: the lead stays
        ("agent001", ["status": "READY", "lead_id": 0, "callerid": ""]),
        ("agent002", ["status": "INCALL", "lead_id": 22, "call_type": "manual", "dialing": true]),
        ("agent002", ["dialing": false]),
        ("agent003", ["status": "INCALL", "lead_id": 22, "call_type": "manual"]),  // a 3-WAY for both
        ("agent004", ["status": "READY", "ringing": true]),
        ("agent004", ["status": "PAUSED", "ringing": false, "pause_code": "BREAK"]),
        ("agent003", nil),  // logs out
    ]}

    /// Per source, per agent: (type, status/sub_status/pause_code) of each agent event.
    static func story(_ events: [EncodedEvent], source: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for e in events {
            guard let o = try? JSONSerialization.jsonObject(with: Data(e.json)) as? [String: Any], o["source"] as? String == source,
                  let data = o["data"] as? [String: Any], let agent = data["agent"] as? String else { continue }
            let s = data["current"] as? [String: Any]
            let state = s.map { "\($0["status"] ?? "")/\($0["sub_status"] ?? "")/\($0["pause_code"] ?? "")" } ?? "-"
            out[agent, default: []].append("\(e.type.rawValue.split(separator: ".").last ?? ""):\(state)")
        }
        return out
    }

    @Test func theAPIAndTheDatabaseTellTheSameStory() async throws {
        let db = try await TestMariaDB.database()
        let sim = try await RunningSimulator.start(agents: 4, mirror: TestMariaDB.options(database: db.name))
        let api = VICIdialSource(name: "api", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 3)
        var database = DatabaseSourceTests.configuration(db.name).sources[0]
        database.eventSource = "vicidial-db://parity"
        let config = Configuration(stateDirectory: TemporaryDirectory().path,
                                   sources: [.init(vicidial: api, eventSource: "vicidial://parity"), database])
        let sink = RecordingSink()
        let run = Task { try await Daemon(configuration: config, sinks: [sink], logger: CapturedLogs().logger()).run(drainTimeout: 2) }
        #expect(await sink.wait { $0.filter { $0.type == .loggedIn }.count == 8 }, "four logins from each source")
        for (i, step) in Self.steps.enumerated() {
            let before = await sink.events.count
            let user = step.user
            if let fields = step.fields { try await sim.set(step.user, fields) } else { try await sim.logout(step.user) }
            // Both sources have seen it: each has told something new of the agent, and they agree on the floor.
            let seen = await sink.wait { events in
                let fresh = Array(events[before...])
                let a = Self.story(fresh, source: "vicidial://parity"), d = Self.story(fresh, source: "vicidial-db://parity")
                return a[user] != nil && d[user] != nil
                    && Self.story(events, source: "vicidial://parity") == Self.story(events, source: "vicidial-db://parity")
            }
            let events = await sink.events
            let told = (Self.story(events, source: "vicidial://parity")[user] ?? [], Self.story(events, source: "vicidial-db://parity")[user] ?? [])
            #expect(seen, "step \(i) \(user) \(step.fields ?? [:]): API \(told.0), database \(told.1)")
            if !seen { break }
        }
        run.cancel()
        _ = try await run.value
        await sim.stop()
        await db.drop()
        let events = await sink.events
        let apiStory = Self.story(events, source: "vicidial://parity"), dbStory = Self.story(events, source: "vicidial-db://parity")
        #expect(apiStory == dbStory)
        #expect(apiStory["agent002"]?.contains("status_changed:INCALL/3-WAY/") == true, "\(apiStory)")
        #expect(apiStory["agent001"]?.contains("status_changed:PAUSED/DISPO/") == true, "\(apiStory)")
        #expect(apiStory["agent003"]?.last == "logged_out:-", "\(apiStory)")
    }
}
