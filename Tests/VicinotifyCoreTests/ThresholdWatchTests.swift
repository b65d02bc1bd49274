import Testing
import VicinotifyCore

/// Alert rules by tables: polls go through the real differ (so a call change keeps the state's start),
/// and the time is an input.
@Suite struct ThresholdWatchTests {
    static func t(_ s: Double) -> Timestamp { Timestamp(millisecondsSince1970: 1_800_000_000_000 + Int64(s * 1000)) }

    static func a(_ user: String, _ status: String, pause: String = "", sub: String = "", lead: Int64 = 0,
                  campaign: String = "SALES") -> AgentState {
        AgentState(user: user, status: status, subStatus: sub, pauseCode: pause, leadID: lead,
                   callerID: lead > 0 ? "V11241000000\(lead)" : "", campaignID: campaign, sessionID: "86000\(user.suffix(1))",
                   fullName: user, userGroup: "AGENTS")
    }

    static let longBreak = AlertRule(name: "long_break", status: "PAUSED", pauseCodes: ["BREAK"], longerThan: 10)
    static let anyPause = AlertRule(name: "paused", status: "PAUSED", longerThan: 5)
    static let longDead = AlertRule(name: "long_dead", status: "INCALL", subStatus: "DEAD", longerThan: 10)
    static let idle = AlertRule(name: "idle", status: "READY", campaigns: ["SALES"], longerThan: 10)
    static let longCall = AlertRule(name: "long_call", status: "INCALL", longerThan: 10)

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var rules: [AlertRule]
        /// Each poll: its time, the floor, and the crossings expected (agent/rule).
        var polls: [(Double, [AgentState], [String])]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "crossing once, at the limit", rules: [longBreak], polls: [
            (0, [a("x", "PAUSED", pause: "BREAK")], []), (9.9, [a("x", "PAUSED", pause: "BREAK")], []),
            (10, [a("x", "PAUSED", pause: "BREAK")], ["x/long_break"]), (60, [a("x", "PAUSED", pause: "BREAK")], [])]),
        Row(name: "a state change before the limit: no crossing", rules: [longBreak], polls: [
            (0, [a("x", "PAUSED", pause: "BREAK")], []), (8, [a("x", "READY")], []), (30, [a("x", "READY")], [])]),
        Row(name: "a new call starts the report's clock again: a new occurrence", rules: [longCall], polls: [
            (0, [a("x", "INCALL", lead: 1)], []), (6, [a("x", "INCALL", lead: 2)], []),
            (10, [a("x", "INCALL", lead: 2)], []), (16, [a("x", "INCALL", lead: 2)], ["x/long_call"]), (40, [a("x", "INCALL", lead: 2)], [])]),
        Row(name: "the next occurrence fires again", rules: [longBreak], polls: [
            (0, [a("x", "PAUSED", pause: "BREAK")], []), (11, [a("x", "PAUSED", pause: "BREAK")], ["x/long_break"]),
            (12, [a("x", "READY")], []), (13, [a("x", "PAUSED", pause: "BREAK")], []), (23, [a("x", "PAUSED", pause: "BREAK")], ["x/long_break"])]),
        Row(name: "leaving the rule's scope and coming back is the same occurrence", rules: [idle], polls: [
            (0, [a("x", "READY")], []), (10, [a("x", "READY")], ["x/idle"]), (11, [a("x", "READY", campaign: "SUPPORT")], []),
            (12, [a("x", "READY")], []), (13, [a("x", "READY", campaign: "SUPPORT")], []), (30, [a("x", "READY")], []),
            (31, [a("x", "PAUSED")], []), (32, [a("x", "READY")], []), (42, [a("x", "READY")], ["x/idle"])]),
        Row(name: "several rules on one agent, each once", rules: [anyPause, longBreak], polls: [
            (0, [a("x", "PAUSED", pause: "BREAK")], []), (5, [a("x", "PAUSED", pause: "BREAK")], ["x/paused"]),
            (10, [a("x", "PAUSED", pause: "BREAK")], ["x/long_break"]), (11, [a("x", "PAUSED", pause: "BREAK")], [])]),
        Row(name: "sub-status and campaign limit a rule", rules: [longDead, idle], polls: [
            (0, [a("x", "INCALL", sub: "DEAD", lead: 1), a("y", "READY", campaign: "OTHER"), a("z", "INCALL", lead: 2)], []),
            (10, [a("x", "INCALL", sub: "DEAD", lead: 1), a("y", "READY", campaign: "OTHER"), a("z", "INCALL", lead: 2)], ["x/long_dead"])]),
        Row(name: "a logout ends the occurrence", rules: [longBreak], polls: [
            (0, [a("x", "PAUSED", pause: "BREAK")], []), (5, [], []), (6, [a("x", "PAUSED", pause: "BREAK")], []),
            (15, [a("x", "PAUSED", pause: "BREAK")], []), (16, [a("x", "PAUSED", pause: "BREAK")], ["x/long_break"])]),
    ]

    @Test(arguments: rows) func rules(_ row: Row) {
        var floor = AgentFloor()
        var watch = ThresholdWatch(source: "dialer", rules: row.rules)
        for (time, agents, expected) in row.polls {
            _ = floor.update(to: agents, at: Self.t(time))
            let got = watch.crossings(on: floor, at: Self.t(time))
            #expect(got.map { "\($0.agent.state.user)/\($0.crossing.rule)" } == expected, "at \(time) s")
            for c in got { #expect(c.crossing.seconds >= c.crossing.longerThan) }
        }
    }

    @Test func aRestartInTheMiddleOfAnOccurrenceDoesNotRepeatIt() {
        var floor = AgentFloor()
        _ = floor.update(to: [Self.a("x", "PAUSED", pause: "BREAK"), Self.a("y", "PAUSED", pause: "BREAK")], at: Self.t(0))
        // Before the stop: x crossed at 12 s in this occurrence; y crossed at -50 s, in an earlier one.
        var watch = ThresholdWatch(source: "dialer", rules: [Self.longBreak], floor: floor,
                                   earlier: [("long_break", "x", Self.t(12)), ("long_break", "y", Self.t(-50)), ("gone_rule", "x", Self.t(13))])
        #expect(watch.oldestRelevantStart(on: floor) == Self.t(0))
        let got = watch.crossings(on: floor, at: Self.t(20)).map { "\($0.agent.state.user)/\($0.crossing.rule)" }
        #expect(got == ["y/long_break"], "x was reported for this occurrence before the restart; y was not")
        #expect(watch.crossings(on: floor, at: Self.t(30)).isEmpty)
    }

    @Test func aRuleLimitedToAnotherSourceIsNotWatched() {
        let rule = AlertRule(name: "r", status: "READY", sources: ["other"], longerThan: 1)
        var floor = AgentFloor()
        _ = floor.update(to: [Self.a("x", "READY")], at: Self.t(0))
        var watch = ThresholdWatch(source: "dialer", rules: [rule])
        #expect(watch.rules.isEmpty && watch.crossings(on: floor, at: Self.t(100)).isEmpty)
    }

    @Test func theEventCarriesTheRuleTheStateAndTheSecondsSoFar() throws {
        var tracker = SourceTracker(name: "dialer", eventSource: "vicidial://d", redactedURL: "http://d", idSeed: 1)
        _ = tracker.observe([Self.a("x", "PAUSED", pause: "BREAK")], at: Self.t(0))
        let row = try #require(tracker.floor["x"])
        let e = EncodedEvent(tracker.thresholdExceeded(row, ThresholdCrossing(rule: "long_break", longerThan: 900, seconds: 912.25), at: Self.t(912.25)))
        let json = String(decoding: e.json, as: UTF8.self)
        #expect(e.type == .thresholdExceeded && e.subject == "x" && e.campaignID == "SALES")
        #expect(json.contains(#""changed":[],"previous_state_seconds":null,"state_since":null,"status_since":null,"after_gap":false,"rule":"long_break","longer_than_seconds":900.0,"seconds":912.25}"#))
        #expect(json.contains(#""current":{"status":"PAUSED","sub_status":"","pause_code":"BREAK""#))
    }
}
