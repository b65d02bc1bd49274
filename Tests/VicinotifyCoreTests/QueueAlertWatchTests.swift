import Testing
import VicinotifyCore

/// Queue rules: each condition, held for its time, fired once per holding, cleared once when it stops.
@Suite struct QueueAlertWatchTests {
    static let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)

    static func q(_ waiting: Int, ready: Int? = 2, oldest: Int? = nil, id: String = "SUPPORT") -> QueueState {
        QueueState(queue: id, kind: .inGroup, callsWaiting: waiting, oldestWaitSeconds: oldest, agentsReady: ready)
    }

    static func day(offered: Int, answered: Int, dropped: Int, within: Int = 0) -> QueueState {
        QueueState(queue: "SUPPORT", kind: .inGroup, callsWaiting: 0,
                   today: QueueToday(offered: offered, answered: answered, dropped: dropped, answeredWithinServiceLevel: within))
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var rule: QueueRule
        /// (seconds after t0, the queue, "exceeded" / "cleared" / "")
        var polls: [(Double, QueueState, String)]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "calls waiting, held for 10 s, then cleared once",
            rule: QueueRule(name: "backlog", condition: .callsWaitingAtLeast(3), holdFor: 10),
            polls: [(0, q(3), ""), (5, q(4), ""), (10, q(5), "exceeded"), (11, q(6), ""), (12, q(2), "cleared"), (13, q(1), "")]),
        Row(name: "a dip resets the hold", rule: QueueRule(name: "backlog", condition: .callsWaitingAtLeast(3), holdFor: 10),
            polls: [(0, q(3), ""), (8, q(2), ""), (9, q(3), ""), (18, q(3), ""), (19, q(3), "exceeded")]),
        Row(name: "the oldest wait, at once", rule: QueueRule(name: "slow", condition: .oldestWaitLongerThan(60)),
            polls: [(0, q(1, oldest: 30), ""), (1, q(1, oldest: 61), "exceeded"), (2, q(1, oldest: 62), ""), (3, q(0), "cleared")]),
        Row(name: "no waits from the API: never holds", rule: QueueRule(name: "slow", condition: .oldestWaitLongerThan(60)),
            polls: [(0, q(9, oldest: nil), ""), (600, q(9, oldest: nil), "")]),
        Row(name: "no ready agent while calls wait", rule: QueueRule(name: "nobody", condition: .readyAgentsAtMostWhileWaiting(0)),
            polls: [(0, q(0, ready: 0), ""), (1, q(2, ready: 0), "exceeded"), (2, q(2, ready: 1), "cleared")]),
        Row(name: "another queue is not watched by a rule on SUPPORT",
            rule: QueueRule(name: "backlog", queues: ["SUPPORT"], condition: .callsWaitingAtLeast(1)),
            polls: [(0, q(5, id: "BILLING"), ""), (1, q(1), "exceeded")]),
        Row(name: "drop rate, once enough calls came", rule: QueueRule(name: "drops", condition: .dropPercentAtLeast(3, minCalls: 10)),
            polls: [(0, day(offered: 2, answered: 1, dropped: 1), ""), (1, day(offered: 10, answered: 9, dropped: 1), "exceeded"),
                    (2, day(offered: 40, answered: 39, dropped: 1), "cleared")]),
        Row(name: "no today's figures from the API: never holds", rule: QueueRule(name: "drops", condition: .dropPercentAtLeast(1, minCalls: 0)),
            polls: [(0, q(3), ""), (60, q(3), "")]),
        Row(name: "service level below 80 %", rule: QueueRule(name: "sl", condition: .serviceLevelBelow(80, minCalls: 5)),
            polls: [(0, day(offered: 4, answered: 4, dropped: 0, within: 0), ""), (1, day(offered: 5, answered: 5, dropped: 0, within: 3), "exceeded"),
                    (2, day(offered: 10, answered: 10, dropped: 0, within: 8), "cleared")]),
    ]

    /// Drop % over offered calls, service level over answered ones, to two decimals.
    @Test(arguments: [(3, 3, 0, 0, 0.0, Optional(0.0)), (4, 3, 1, 1, 25, 33.33), (3, 2, 1, 2, 33.33, 100), (0, 0, 0, 0, 0, nil),
                      (2, 0, 2, 0, 100, nil)])
    func todaysPercentages(_ offered: Int, _ answered: Int, _ dropped: Int, _ within: Int, _ drop: Double, _ service: Double?) {
        let t = QueueToday(offered: offered, answered: answered, dropped: dropped, answeredWithinServiceLevel: within)
        #expect(t.dropPercent == drop && t.serviceLevelPercent == service, "\(t)")
    }

    @Test func aRuleForAnotherSourceIsIgnored() {
        var watch = QueueAlertWatch(source: "dialer", rules: [QueueRule(name: "x", sources: ["other"], condition: .callsWaitingAtLeast(1))])
        #expect(watch.alerts([Self.q(5)], at: Self.t0).isEmpty)
    }
}
