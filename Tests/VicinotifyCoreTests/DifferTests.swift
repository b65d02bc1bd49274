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
        Case(name: "group and session", before: agent(), after: agent(group: "X", session: "8600099"),
             type: .updated, changed: [.userGroup, .sessionID]),
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
                             campaign: ["SALES", "SUPPORT"][Int(rng.next() % 2)], calls: Int(rng.next() % 2)))
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
        #expect(Set(changes.map(\.user)).count == changes.count, "at most one change per agent")
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
