import Testing
import VicinotifyCore

/// Queue rules: each condition, held for its time, fired once per holding, cleared once when it stops.
@Suite struct QueueAlertWatchTests {
    static let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)

    static func q(_ waiting: Int, ready: Int? = 2, oldest: Int? = nil, id: String = "SUPPORT") -> QueueState {
        QueueState(queue: id, kind: .inGroup, callsWaiting: waiting, oldestWaitSeconds: oldest, agentsReady: ready)
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
    ]

    @Test(arguments: rows) func alerts(_ row: Row) {
        var watch = QueueAlertWatch(source: "dialer", rules: [row.rule])
        for (at, queue, expected) in row.polls {
            let out = watch.alerts([queue], at: Self.t0.adding(milliseconds: Int64(at * 1000)))
            #expect(out.map { $0.exceeded ? "exceeded" : "cleared" } == (expected.isEmpty ? [] : [expected]), "at \(at) s")
            if let a = out.first, a.exceeded { #expect(a.seconds >= row.rule.holdFor) }
        }
    }

    @Test func aRuleForAnotherSourceIsIgnored() {
        var watch = QueueAlertWatch(source: "dialer", rules: [QueueRule(name: "x", sources: ["other"], condition: .callsWaitingAtLeast(1))])
        #expect(watch.alerts([Self.q(5)], at: Self.t0).isEmpty)
    }
}
