import Testing
import VicinotifyCore

/// When a changed conference room (or `live_agent_id`) is a new login, and when it is "Leave 3-Way Call",
/// which moves an agent who stays logged in to a new room; and the report clock's restart rule.
@Suite struct SessionRuleTests {
    static let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)

    static func agent(_ status: String, pause: String = "", lead: Int64 = 0, room: String = "8600051", live: Int64? = nil) -> AgentState {
        AgentState(user: "a", status: status, pauseCode: pause, leadID: lead, callerID: lead > 0 ? "V\(lead)" : "", sessionID: room,
                   liveAgentID: live)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var before: AgentState
        var after: AgentState
        var types: [EventType]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "API: Leave 3-Way Call (new room, still on the call)", before: agent("INCALL", lead: 5),
             after: agent("INCALL", lead: 5, room: "8600099"), types: [.updated]),
        Case(name: "API: a new room while READY is a move, not a login", before: agent("READY"),
             after: agent("READY", room: "8600099"), types: [.updated]),
        Case(name: "API: a new room that looks like a fresh login", before: agent("INCALL", lead: 5),
             after: agent("PAUSED", pause: "LOGIN", room: "8600099"), types: [.loggedOut, .loggedIn]),
        Case(name: "API: a re-login in the same room shows only as a status change", before: agent("READY"),
             after: agent("PAUSED", pause: "LOGIN"), types: [.statusChanged]),
        Case(name: "database: a new room with the same live_agent_id", before: agent("INCALL", lead: 5, live: 7),
             after: agent("PAUSED", pause: "LOGIN", room: "8600099", live: 7), types: [.statusChanged]),
        Case(name: "database: a new live_agent_id in the same room", before: agent("READY", live: 7),
             after: agent("READY", live: 8), types: [.loggedOut, .loggedIn]),
    ]

    @Test(arguments: cases) func sessions(_ c: Case) {
        var floor = AgentFloor()
        _ = floor.update(to: [c.before], at: Self.t0)
        let changes = floor.update(to: [c.after], at: Self.t0.adding(milliseconds: 5000))
        #expect(changes.map(\.type) == c.types)
        if c.types == [.updated] { #expect(changes.first?.changed == [.sessionID]) }
    }

    @Test(arguments: [
        (agent("READY"), agent("PAUSED"), true, "a new VICIdial status"),
        (agent("PAUSED"), agent("PAUSED", pause: "BREAK"), false, "the first pause code"),
        (agent("PAUSED", pause: "BREAK"), agent("PAUSED", pause: "LUNCH"), true, "a second pause code"),
        (agent("PAUSED", pause: "BREAK"), agent("PAUSED", pause: "LAGGED"), false, "LAGGED, written by the system"),
        (agent("INCALL", lead: 1), agent("INCALL", lead: 2), true, "a new call (last_call_time)"),
        (agent("INCALL", lead: 1), AgentState(user: "a", status: "INCALL", subStatus: "PARK", leadID: 1, callerID: "V1", sessionID: "8600051"),
         false, "park within the call"),
        (agent("READY"), AgentState(user: "a", status: "READY", subStatus: "RING", sessionID: "8600051"), false, "RING is READY's clock"),
        (agent("PAUSED", lead: 4), agent("PAUSED"), false, "the end of DISPO, still PAUSED"),
    ])
    func reportClock(_ before: AgentState, _ after: AgentState, _ restarts: Bool, _ why: String) {
        #expect(ReportClock.restarts(from: before, to: after) == restarts, "\(why)")
    }
}
