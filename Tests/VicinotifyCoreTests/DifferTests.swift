import Testing
import VicinotifyCore

private let t0 = Timestamp(millisecondsSince1970: 1_795_500_000_000)
private let t1 = t0.adding(milliseconds: 42_000)

private func agent(_ user: String = "agent001", status: String = "READY", sub: String = "", pause: String = "",
                   lead: Int64 = 0, callerID: String = "", campaign: String = "SALES", group: String = "AGENTS",
                   name: String = "Ada", calls: Int = 0, session: String = "8600051") -> AgentState {
    AgentState(user: user, status: status, subStatus: sub, pauseCode: pause, leadID: lead, callerID: callerID,
               campaignID: campaign, sessionID: session, callsToday: calls, fullName: name, userGroup: group, userLevel: 1)
}

private func diff(_ before: [AgentState], _ after: [AgentState]) -> [AgentChange] {
    var floor = AgentFloor()
    _ = floor.update(to: before, at: t0)
    return floor.update(to: after, at: t1)
}

@Suite struct DifferTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var before: AgentState?
        var after: AgentState?
        var type: EventType?
        var changed: [AgentField]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "login", before: nil, after: agent(), type: .loggedIn, changed: []),
        Case(name: "logout", before: agent(), after: nil, type: .loggedOut, changed: []),
        Case(name: "nothing", before: agent(), after: agent(), type: nil, changed: []),
        Case(name: "READY -> INCALL with a call", before: agent(),
             after: agent(status: "INCALL", lead: 5, callerID: "M1124100000000000005"),
             type: .statusChanged, changed: [.status, .leadID, .callerID]),
        Case(name: "sub-status only", before: agent(status: "INCALL", lead: 5), after: agent(status: "INCALL", sub: "DEAD", lead: 5),
             type: .statusChanged, changed: [.subStatus]),
        Case(name: "pause code while PAUSED", before: agent(status: "PAUSED", pause: "LOGIN"),
             after: agent(status: "PAUSED", pause: "BRK2"), type: .statusChanged, changed: [.pauseCode]),
        Case(name: "stale pause code while READY is no change", before: agent(status: "READY", pause: "LOGIN"),
             after: agent(status: "READY", pause: "BRK2"), type: nil, changed: []),
        Case(name: "unpause drops the code", before: agent(status: "PAUSED", pause: "BRK2"),
             after: agent(status: "READY", pause: "BRK2"), type: .statusChanged, changed: [.status, .pauseCode]),
        Case(name: "new call, same status", before: agent(status: "INCALL", lead: 5, callerID: "A"),
             after: agent(status: "INCALL", lead: 6, callerID: "B"), type: .callChanged, changed: [.leadID, .callerID]),
        Case(name: "campaign move", before: agent(), after: agent(campaign: "SUPPORT"), type: .updated, changed: [.campaignID]),
        Case(name: "calls today", before: agent(), after: agent(calls: 1), type: .updated, changed: [.callsToday]),
        Case(name: "group and name", before: agent(), after: agent(group: "X", name: "Bea"),
             type: .updated, changed: [.userGroup, .fullName]),
        Case(name: "status beats call beats update", before: agent(),
             after: agent(status: "QUEUE", lead: 9, campaign: "SUPPORT"), type: .statusChanged,
             changed: [.status, .leadID, .campaignID]),
        Case(name: "call beats update", before: agent(), after: agent(lead: 9, name: "Bob"), type: .callChanged,
             changed: [.leadID, .fullName]),
    ]

    @Test(arguments: cases)
    func transition(_ c: Case) throws {
        let changes = diff(c.before.map { [$0] } ?? [], c.after.map { [$0] } ?? [])
        guard let type = c.type else {
            #expect(changes.isEmpty)
            return
        }
        try #require(changes.count == 1)
        #expect(changes[0].type == type)
        #expect(changes[0].changed == c.changed)
        #expect(changes[0].previous == c.before)
        #expect(changes[0].current == c.after)
        #expect(changes[0].previousStateSeconds == (c.before == nil ? nil : 42.0))
    }

    @Test func pauseCodeIsBlankUnlessPaused() {
        #expect(agent(status: "READY", pause: "LOGIN").pauseCode == "")
        #expect(agent(status: "INCALL", pause: "BRK2").pauseCode == "")
        #expect(agent(status: "PAUSED", pause: "BRK2").pauseCode == "BRK2")
    }

    @Test func previousStateSecondsCountsFromTheFirstObservation() {
        var floor = AgentFloor()
        _ = floor.update(to: [agent()], at: t0)
        #expect(floor.update(to: [agent()], at: t0.adding(milliseconds: 10_000)).isEmpty)
        let changes = floor.update(to: [agent(status: "QUEUE")], at: t0.adding(milliseconds: 12_500))
        #expect(changes.first?.previousStateSeconds == 12.5)
    }

    @Test func aNewSessionIsALogoutThenALogin() {
        let changes = diff([agent(status: "INCALL", lead: 5)], [agent(status: "PAUSED", pause: "LOGIN", session: "8600077")])
        #expect(changes.map(\.type) == [.loggedOut, .loggedIn])
        #expect(changes[0].previous?.status == "INCALL")
        #expect(changes[0].current == nil)
        #expect(changes[1].previous == nil)
        #expect(changes[1].current?.sessionID == "8600077")
        #expect(changes[0].previousStateSeconds == 42.0)
    }

    struct Step: Sendable {
        var at: Int64  // seconds after t0
        var state: AgentState
        var type: EventType?
        var previousStateSeconds: Double?
    }

    /// Time in state as the real-time report counts it (`ReportClock`): from the last change of VICIdial's
    /// status, a new call, or a second pause code; the last item is when the final state began (`nil`: not seen).
    static let timeInState: [(String, [Step], Int64?)] = [
        ("a new call starts the clock again (last_call_time)", [
            Step(at: 0, state: agent(status: "INCALL", lead: 1, callerID: "V1"), type: .loggedIn),
            Step(at: 10, state: agent(status: "INCALL", lead: 2, callerID: "V2"), type: .callChanged, previousStateSeconds: 10),
            Step(at: 25, state: agent(status: "INCALL", lead: 2, callerID: "V2", calls: 1), type: .updated, previousStateSeconds: 15),
            Step(at: 40, state: agent(status: "PAUSED", pause: "", lead: 2, calls: 1), type: .statusChanged, previousStateSeconds: 30),
        ], 40),
        ("INCALL, PARK, INCALL and DEAD count from the call's start", [
            Step(at: 0, state: agent(status: "READY"), type: .loggedIn),
            Step(at: 2, state: agent(status: "INCALL", lead: 1, callerID: "V1"), type: .statusChanged, previousStateSeconds: 2),
            Step(at: 10, state: agent(status: "INCALL", sub: "PARK", lead: 1, callerID: "V1"), type: .statusChanged, previousStateSeconds: 8),
            Step(at: 15, state: agent(status: "INCALL", lead: 1, callerID: "V1"), type: .statusChanged, previousStateSeconds: 13),
            Step(at: 30, state: agent(status: "INCALL", sub: "DEAD", lead: 1, callerID: "V1"), type: .statusChanged, previousStateSeconds: 28),
        ], 2),
        ("a first pause code keeps the clock, a second restarts it, LAGGED leaves it alone", [
            Step(at: 0, state: agent(status: "READY"), type: .loggedIn),
            Step(at: 1, state: agent(status: "PAUSED", pause: ""), type: .statusChanged, previousStateSeconds: 1),
            Step(at: 4, state: agent(status: "PAUSED", pause: "BRK2"), type: .statusChanged, previousStateSeconds: 3),
            Step(at: 10, state: agent(status: "PAUSED", pause: "LUNCH"), type: .statusChanged, previousStateSeconds: 9),
            Step(at: 12, state: agent(status: "PAUSED", pause: "LAGGED"), type: .statusChanged, previousStateSeconds: 2),
            Step(at: 20, state: agent(status: "PAUSED", pause: "LAGGED"), previousStateSeconds: nil),
        ], 10),
        ("edits inside one PAUSED state, then a code", [
            Step(at: 0, state: agent(status: "PAUSED", pause: ""), type: .loggedIn),
            Step(at: 5, state: agent(status: "PAUSED", pause: "", campaign: "SUPPORT"), type: .updated, previousStateSeconds: 5),
            Step(at: 9, state: agent(status: "PAUSED", pause: "", campaign: "SUPPORT", name: "Bea"), type: .updated, previousStateSeconds: 9),
            Step(at: 12, state: agent(status: "PAUSED", pause: "BRK2", campaign: "SUPPORT", name: "Bea"), type: .statusChanged,
                 previousStateSeconds: 12),
            Step(at: 20, state: agent(status: "READY", campaign: "SUPPORT", name: "Bea"), type: .statusChanged, previousStateSeconds: 20),
        ], 20),
        ("no change keeps counting, and RING is READY's clock", [
            Step(at: 0, state: agent(status: "READY"), type: .loggedIn),
            Step(at: 3, state: agent(status: "READY")),
            Step(at: 7, state: agent(status: "READY", sub: "RING"), type: .statusChanged, previousStateSeconds: 7),
        ], nil),
    ]

    @Test(arguments: timeInState)
    func timeInStateCountsFromTheStatesStart(_ name: String, _ steps: [Step], _ began: Int64?) {
        var floor = AgentFloor()
        for (n, step) in steps.enumerated() {
            let at = t0.adding(milliseconds: step.at * 1000)
            let changes = floor.update(to: [step.state], at: at, afterGap: n == 0)
            #expect(changes.map(\.type) == (step.type.map { [$0] } ?? []), "\(name) step \(n)")
            #expect(changes.first?.previousStateSeconds == step.previousStateSeconds, "\(name) step \(n)")
        }
        // The first state was already there at the first poll: its start is unknown.
        #expect(floor["agent001"]?.stateSince == began.map { t0.adding(milliseconds: $0 * 1000) }, "\(name)")
        // status_since is the last observed change of status, sub-status or pause code, whatever the clock.
        let statusChange = steps.dropFirst().last { $0.type == .statusChanged }
        #expect(floor["agent001"]?.statusSince == statusChange.map { t0.adding(milliseconds: $0.at * 1000) }, "\(name)")
    }

    @Test func stateSinceIsUnknownAfterAGapAndKnownWhenSeen() {
        var floor = AgentFloor()
        let first = floor.update(to: [agent(status: "READY")], at: t0, afterGap: true)
        #expect(first[0].stateSince == nil, "already READY at the first poll: its start was not seen")
        let seen = floor.update(to: [agent(status: "QUEUE")], at: t1)
        #expect(seen[0].stateSince == t1)
        let call = floor.update(to: [agent(status: "QUEUE", lead: 4)], at: t1.adding(milliseconds: 5000))
        #expect(call[0].stateSince == t1, "a call change does not restart the state")
    }

    @Test func outOfViewAgentsAreKeptWithoutALogout() {
        var floor = AgentFloor()
        _ = floor.update(to: [agent("a"), agent("b")], at: t0)
        #expect(floor.update(to: [agent("a")], at: t1, keeping: ["b"]).isEmpty)
        #expect(floor["b"] != nil)
        #expect(floor.update(to: [agent("a")], at: t1).map(\.type) == [.loggedOut])
    }

    @Test func logoutsComeLastSortedByUser() {
        let before = [agent("c"), agent("a"), agent("b")]
        let changes = diff(before, [agent("d"), agent("b", status: "QUEUE")])
        #expect(changes.map(\.user) == ["d", "b", "a", "c"])
        #expect(changes.map(\.type) == [.loggedIn, .statusChanged, .loggedOut, .loggedOut])
    }

    @Test func reorderedRowsAreNotChanges() {
        #expect(diff([agent("a"), agent("b"), agent("c")], [agent("c"), agent("a"), agent("b")]).isEmpty)
    }

    @Test func aUserListedTwiceCountsOnce() {
        let changes = diff([agent("a")], [agent("a", status: "QUEUE"), agent("a", status: "INCALL")])
        #expect(changes.count == 1)
        #expect(changes.first?.current?.status == "QUEUE")
    }

    // MARK: properties over seeded random floors

    static func randomFloor(_ rng: inout SplitMix64, size: Int) -> [AgentState] {
        let statuses = ["READY", "QUEUE", "INCALL", "PAUSED", "CLOSER"]
        var out: [AgentState] = []
        for i in 0..<size where rng.next() % 4 != 0 {
            out.append(agent("agent\(i)", status: statuses[Int(rng.next() % 5)], sub: rng.next() % 3 == 0 ? "DEAD" : "",
                             pause: ["LOGIN", "BRK2", ""][Int(rng.next() % 3)], lead: Int64(rng.next() % 3),
                             campaign: ["SALES", "SUPPORT"][Int(rng.next() % 2)], calls: Int(rng.next() % 2),
                             session: rng.next() % 8 == 0 ? "8600099" : "8600051"))
        }
        // Shuffle: VICIdial's row order is not stable.
        for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return out
    }

    @Test(arguments: 0..<200)
    func properties(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed))
        let a = Self.randomFloor(&rng, size: 30)
        let b = Self.randomFloor(&rng, size: 30)
        #expect(diff(a, a).isEmpty, "diff(a, a) is empty")
        let changes = diff(a, b)
        var rebuilt = Dictionary(uniqueKeysWithValues: a.map { ($0.user, $0) })
        Differ.apply(changes, to: &rebuilt)
        #expect(rebuilt == Dictionary(uniqueKeysWithValues: b.map { ($0.user, $0) }), "replaying diff(a, b) onto a gives b")
        var byUser: [String: [AgentChange]] = [:]
        for c in changes { byUser[c.user, default: []].append(c) }
        for (_, list) in byUser where list.count > 1 {
            #expect(list.map(\.type) == [.loggedOut, .loggedIn], "two changes only for a new session")
            #expect(list[0].previous?.sessionID != list[1].current?.sessionID)
        }
        for c in changes where c.previous != nil && c.current != nil {
            #expect(c.previous != c.current)
            #expect(!c.changed.isEmpty)
        }
    }

    @Test(arguments: 0..<50)
    func chainedPreviousEqualsLastCurrent(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) + 1000)
        var floor = AgentFloor()
        var last: [String: AgentState?] = [:]
        for step in 0..<10 {
            for c in floor.update(to: Self.randomFloor(&rng, size: 12), at: t0.adding(milliseconds: Int64(step) * 1000)) {
                if let seen = last[c.user] { #expect(c.previous == seen) } else { #expect(c.previous == nil) }
                last[c.user] = .some(c.current)
            }
        }
    }
}
