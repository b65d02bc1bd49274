import Testing
import VicinotifyCore

/// An agent's shift figures from a day of transitions: time per activity, calls, and what a gap or a
/// first sight mid-shift leave unknown.
@Suite struct ShiftFiguresTests {
    static let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)
    static func at(_ s: Double) -> Timestamp { t0.adding(milliseconds: Int64(s * 1000)) }
    static func a(_ status: String, sub: String = "", pause: String = "", lead: Int64 = 0) -> AgentState {
        AgentState(user: "a", status: status, subStatus: sub, pauseCode: pause, leadID: lead, callerID: lead > 0 ? "V\(lead)" : "")
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        /// (seconds after t0, the state, a gap before this poll); `seconds` are the totals 20 s after the last.
        var day: [(Double, AgentState, Bool)]
        var calls: Int
        var seconds: [ShiftFigures.Activity: Double]
        var complete = true
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "login, wait, a call with dead air, dispo, a break", day: [
            (0, a("PAUSED", pause: "LOGIN"), false), (10, a("READY"), false), (40, a("INCALL", lead: 1), false),
            (160, a("INCALL", sub: "DEAD", lead: 1), false), (170, a("PAUSED", sub: "DISPO", lead: 1), false),
            (185, a("PAUSED", pause: "BREAK"), false), (300, a("READY"), false)],
            calls: 1, seconds: [.paused("LOGIN"): 10, .waiting: 30 + 20, .talking: 120, .dead: 10, .dispo: 15, .paused("BREAK"): 115]),
        Row(name: "two calls back to back, a park and a 3-way inside one", day: [
            (0, a("READY"), false), (5, a("INCALL", lead: 1), false), (20, a("INCALL", sub: "PARK", lead: 1), false),
            (30, a("INCALL", sub: "3-WAY", lead: 1), false), (50, a("INCALL", lead: 2), false), (80, a("READY"), false)],
            calls: 2, seconds: [.waiting: 5 + 20, .talking: 75]),
        Row(name: "a gap leaves its time uncounted", day: [
            (0, a("READY"), false), (60, a("PAUSED", pause: "BRK"), true), (100, a("READY"), false)],
            calls: 0, seconds: [.waiting: 20, .paused("BRK"): 40], complete: false),
        Row(name: "a pause code change is a new stretch", day: [
            (0, a("PAUSED", pause: "BRK"), false), (30, a("PAUSED", pause: "LUNCH"), false), (90, a("PAUSED", pause: "LUNCH"), false)],
            calls: 0, seconds: [.paused("BRK"): 30, .paused("LUNCH"): 60 + 20]),
    ]

    @Test(arguments: rows) func aDay(_ row: Row) {
        var shift = ShiftFigures(row.day[0].1, at: Self.at(row.day[0].0), fromLogin: true)
        var before = row.day[0].1
        for (t, state, gap) in row.day.dropFirst() {
            shift.advance(from: before, to: state, at: Self.at(t), afterGap: gap)
            before = state
        }
        let end = row.day.last!.0
        // Twenty seconds after the last poll: the current stretch counts to now.
        #expect(shift.seconds(at: Self.at(end + 20)).filter { $0.value > 0 } == row.seconds)
        #expect(shift.calls == row.calls && shift.complete == row.complete)
    }

    @Test func firstSeenOnACallCountsNoCallItDidNotSeeStart() {
        let s = ShiftFigures(Self.a("INCALL", lead: 3), at: Self.t0, fromLogin: false)
        #expect(s.calls == 0 && !s.fromLogin)
        #expect(ShiftFigures(Self.a("INCALL", lead: 3), at: Self.t0, fromLogin: true).calls == 1)
    }
}
