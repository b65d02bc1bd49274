import Daemon
import Foundation
import Sinks
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// Heartbeats through the whole pipeline: journaled for the sink that asked, on time, across a restart.
@Suite struct HeartbeatTests {
    static let password = "heartbeat-Secret-7"
    static let period = 1.0

    /// Each agent's events to one sink, in delivery order.
    static func byAgent(_ events: [EncodedEvent]) -> [String: [EncodedEvent]] {
        Dictionary(grouping: events.filter(\.type.isAgentEvent), by: \.subject)
    }

    /// Every heartbeat came a full period after the agent's previous event to the sink, and not much later.
    static func spacing(_ events: [EncodedEvent], interval: Double) -> [String] {
        var problems: [String] = []
        for (agent, list) in byAgent(events) {
            for (previous, e) in zip(list, list.dropFirst()) where e.type == .heartbeat {
                let gap = e.time.seconds(since: previous.time)
                if gap < period || gap > period + interval + 1.5 { problems.append("\(agent): heartbeat \(gap) s after its previous event") }
            }
        }
        return problems
    }

    @Test func onlyTheSinkThatAskedGetsOneHeartbeatPerQuietPeriodAndARestartKeepsTheRhythm() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        try await sim.auth(["password": Self.password])
        let state = TemporaryDirectory()
        defer { state.remove() }
        let interval = 0.1
        var source = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: Self.password, interval: interval, timeout: 5)
        source.downAfter = 2
        func run(_ asked: RecordingSink, _ other: RecordingSink) -> (Task<[PollReport], any Error>, Daemon) {
            var config = Configuration(stateDirectory: state.path, sources: [.init(vicidial: source, eventSource: "vicidial://sim")])
            config.sinks = [PreparedSink(asked, heartbeat: Self.period), PreparedSink(other)]
            let daemon = Daemon(configuration: config, sinks: [asked, other], logger: CapturedLogs().logger())
            return (Task { try await daemon.run(drainTimeout: 2) }, daemon)
        }
        let asked = RecordingSink(name: "asked"), other = RecordingSink(name: "other")
        let (first, _) = run(asked, other)
        #expect(await asked.wait { $0.filter { $0.type == .loggedIn }.count == 3 })
        try await sim.set("agent002", ["status": "PAUSED", "pause_code": "BREAK"])
        #expect(await asked.wait(timeout: 20) { events in
            Self.byAgent(events).values.allSatisfy { $0.filter { $0.type == .heartbeat }.count >= 3 }
        }, "three heartbeats for each quiet agent")
        first.cancel()
        _ = try await first.value
        let before = await asked.events
        #expect(await other.events.filter { $0.type == .heartbeat }.isEmpty, "no heartbeat to a sink that did not ask")
        #expect(await other.events.count == before.filter { $0.type != .heartbeat }.count, "both sinks got every change")
        #expect(Self.spacing(before, interval: interval).isEmpty, "\(Self.spacing(before, interval: interval))")

        let heartbeat = try #require(await asked.events.jsonObjects.last { $0["type"] as? String == "vicidial.agent.heartbeat" && $0["subject"] as? String == "agent002" })
        let data = try #require(heartbeat["data"] as? [String: Any])
        #expect(data["changed"] as? [String] == [])
        #expect((data["current"] as? [String: Any])?["pause_code"] as? String == "BREAK", "the full current state")
        #expect(data["state_since"] is String, "the state's start is known after the pause began under watch")

        // A restart: the schedule resumes from the journal, so no agent gets a heartbeat early or twice.
        let asked2 = RecordingSink(name: "asked"), other2 = RecordingSink(name: "other")
        let (second, _) = run(asked2, other2)
        #expect(await asked2.wait(timeout: 20) { events in
            Self.byAgent(events).count == 3 && Self.byAgent(events).values.allSatisfy { $0.filter { $0.type == .heartbeat }.count >= 2 }
        })
        second.cancel()
        _ = try await second.value
        await sim.stop()
        let all = before + (await asked2.events)
        #expect(Self.spacing(all, interval: interval).isEmpty, "\(Self.spacing(all, interval: interval))")
        #expect(Set(all.map(\.id)).count == all.count, "no event delivered twice across the restart")
        #expect(await other2.events.filter { $0.type == .heartbeat }.isEmpty)
        let sequences = all.map(\.sequence)
        #expect(sequences == sequences.sorted(), "heartbeats take their place in the source's sequence")
    }
}
