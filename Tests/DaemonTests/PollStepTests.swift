@testable import Daemon
import Testing
import VICIdial
import VicinotifyCore

/// A source's poll decisions by tables: each row a sequence of poll results (at times), with the events,
/// the logs, the wait and the health each must give, and what a refused commit keeps.
@Suite struct PollStepTests {
    static func t(_ s: Double) -> Timestamp { Timestamp(millisecondsSince1970: 1_800_000_000_000 + Int64(s * 1000)) }
    static func agent(_ user: String, _ status: String = "READY") -> AgentState {
        AgentState(user: user, status: status, campaignID: "SALES", sessionID: "86000\(user.suffix(1))", userGroup: "AGENTS")
    }
    static func floor(_ agents: AgentState...) -> Result<FloorSnapshot, PollFailure> { .success(FloorSnapshot(agents: agents)) }
    static func failure(_ reason: PollFailure.Reason) -> Result<FloorSnapshot, PollFailure> { .failure(PollFailure(reason, "said")) }

    static func step(heartbeat: Double? = nil) -> PollStep {
        var source = VICIdialSource(name: "s", url: "http://127.0.0.1/vicidial/non_agent_api.php", user: "u", password: "p", interval: 1, timeout: 5)
        source.downAfter = 2
        source.authBackoff = 300
        let tracker = SourceTracker(name: "s", eventSource: "vicidial://s", redactedURL: "http://127.0.0.1", downAfter: 2, idSeed: 1)
        let heartbeats = heartbeat.map { [HeartbeatSchedule(sink: "hb", source: "s", period: $0, filter: EventFilter())] } ?? []
        return PollStep(source: source, tracker: tracker, heartbeats: heartbeats)
    }

    struct Poll: Sendable {
        var at: Double
        var result: Result<FloorSnapshot, PollFailure>
        var events: [EventType]
        var wait: Double
        var logs: [String] = []
        var heartbeats = 0
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var heartbeat: Double?
        var polls: [Poll]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "a first poll announces the floor and waits one interval", polls: [
            Poll(at: 0, result: floor(agent("a1"), agent("a2")), events: [.loggedIn, .loggedIn], wait: 1),
            Poll(at: 1, result: floor(agent("a1"), agent("a2")), events: [], wait: 1)]),
        Row(name: "a timeout is logged once, the source goes down at down_after, then recovers", polls: [
            Poll(at: 0, result: floor(agent("a1")), events: [.loggedIn], wait: 1),
            Poll(at: 1, result: failure(.timeout), events: [], wait: 1, logs: ["error: poll failed:"]),
            Poll(at: 2, result: failure(.timeout), events: [.sourceDown], wait: 1, logs: ["debug: poll failed again"]),
            Poll(at: 3, result: floor(agent("a1", "PAUSED")), events: [.sourceUp, .statusChanged], wait: 1, logs: ["notice: polling recovered"])]),
        Row(name: "a wrong password backs off, doubling", polls: [
            Poll(at: 0, result: failure(.loginIncorrect), events: [], wait: 300, logs: ["error: poll failed:"]),
            Poll(at: 300, result: failure(.loginIncorrect), events: [.sourceDown], wait: 600, logs: ["debug: poll failed again"])]),
        Row(name: "heartbeats only after a successful poll", heartbeat: 2, polls: [
            Poll(at: 0, result: floor(agent("a1")), events: [.loggedIn], wait: 1),
            Poll(at: 2.5, result: failure(.timeout), events: [], wait: 1, logs: ["error: poll failed:"]),
            Poll(at: 3, result: floor(agent("a1")), events: [], wait: 1, logs: ["notice: polling recovered"], heartbeats: 1)]),
        Row(name: "an agent VICIdial does not know is said once", polls: [
            Poll(at: 0, result: .success({ var s = FloorSnapshot(agents: [agent("a1")]); s.notFound = ["ghost"]; return s }()),
                 events: [.loggedIn], wait: 1, logs: ["warning: "]),
            Poll(at: 1, result: .success({ var s = FloorSnapshot(agents: [agent("a1")]); s.notFound = ["ghost"]; return s }()),
                 events: [], wait: 1)]),
    ]

    @Test(arguments: rows)
    func pollsGiveTheirEventsLogsAndWaits(_ row: Row) {
        var step = Self.step(heartbeat: row.heartbeat)
        for (n, poll) in row.polls.enumerated() {
            let plan = step.plan(poll.result, at: Self.t(poll.at))
            #expect(plan.events.map(\.type) == poll.events, "poll \(n)")
            #expect(plan.wait == poll.wait, "poll \(n)")
            #expect(plan.addressed.count == poll.heartbeats, "poll \(n)")
            let logs = plan.logs.map { "\($0.level): \($0.message)" }
            #expect(logs.count == poll.logs.count && zip(logs, poll.logs).allSatisfy { $0.hasPrefix($1) }, "poll \(n): \(logs)")
            #expect((plan.report.failure == nil) == ((try? poll.result.get()) != nil), "poll \(n): the report says whether it failed")
            #expect(step.committed(plan).isEmpty)
        }
    }

    @Test func aRefusedCommitKeepsTheLastCommittedFloorAndTheChangeComesOutLater() {
        var step = Self.step()
        _ = step.committed(step.plan(Self.floor(Self.agent("a1")), at: Self.t(0)))
        let paused = Self.floor(Self.agent("a1", "PAUSED"))
        let first = step.plan(paused, at: Self.t(1))
        let refused = step.refused(first, error: "disk I/O error", diskFull: true)
        #expect(refused.wait == 1 && refused.logs.map(\.level) == [.critical] && refused.logs[0].message.hasPrefix("the disk is full"))
        #expect(step.tracker.floor["a1"]?.state.status == "READY", "nothing changed")
        #expect(step.journalBroken)
        let again = step.plan(paused, at: Self.t(2))
        #expect(step.refused(again, error: "disk I/O error", diskFull: true).logs.isEmpty, "an outage is said once")
        let third = step.plan(paused, at: Self.t(3))
        #expect(third.events.map(\.type) == [.statusChanged] && third.changes.count == 1, "the change comes out once the journal works")
        #expect(third.events.first?.sequence == first.events.first?.sequence, "with the sequence it would have had")
        #expect(step.committed(third).map(\.message) == ["journal writable again: polling resumed"])
        #expect(step.tracker.floor["a1"]?.state.status == "PAUSED" && !step.journalBroken)
    }
}
