import Testing
import VicinotifyCore

/// The heartbeat schedule by tables: the time is an input, nothing waits.
@Suite struct HeartbeatScheduleTests {
    static func t(_ seconds: Double) -> Timestamp { Timestamp(millisecondsSince1970: 1_700_000_000_000 + Int64(seconds * 1000)) }

    static func agent(_ user: String, campaign: String = "SALES") -> AgentState {
        AgentState(user: user, status: "READY", campaignID: campaign, fullName: user, userGroup: "AGENTS")
    }

    static func floor(_ users: [String], campaign: String = "SALES") -> AgentFloor {
        AgentFloor(users.map { ObservedAgent(state: agent($0, campaign: campaign), since: t(0)) })
    }

    static func event(_ type: EventType, _ user: String, at seconds: Double, campaign: String = "SALES",
                      source: String = "dialer") -> EncodedEvent {
        EncodedEvent(id: "", sequence: 0, type: type, subject: user, sourceName: source, campaignID: campaign,
                     userGroup: "AGENTS", time: t(seconds), json: [])
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var given: [EncodedEvent]
        var floor = ["a", "b"]
        var polls: [Double]
        var expected: [[String]]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "quiet agents get one heartbeat per period", given: [event(.loggedIn, "a", at: 0), event(.loggedIn, "b", at: 0)],
            polls: [5, 9.9, 10, 15, 20, 20.5], expected: [[], [], ["a", "b"], [], ["a", "b"], []]),
        Row(name: "an event restarts the period",
            given: [event(.loggedIn, "a", at: 0), event(.loggedIn, "b", at: 0), event(.statusChanged, "b", at: 8)],
            polls: [10, 17.9, 18], expected: [["a"], [], ["b"]]),
        Row(name: "a logged-out agent is forgotten", given: [event(.loggedIn, "a", at: 0), event(.loggedOut, "b", at: 1)],
            floor: ["a"], polls: [10], expected: [["a"]]),
        Row(name: "events of another source do not count",
            given: [event(.loggedIn, "a", at: 0), event(.loggedIn, "b", at: 0), event(.statusChanged, "a", at: 9, source: "other")],
            polls: [10], expected: [["a", "b"]]),
        Row(name: "a source event does not count", given: [event(.loggedIn, "a", at: 0), event(.sourceUp, "dialer", at: 9)],
            floor: ["a"], polls: [10], expected: [["a"]]),
    ]

    @Test(arguments: rows) func schedule(_ row: Row) {
        var s = HeartbeatSchedule(sink: "hb", source: "dialer", period: 10, filter: EventFilter())
        s.given(row.given)
        for (poll, expected) in zip(row.polls, row.expected) {
            let due = s.due(on: Self.floor(row.floor), at: Self.t(poll))
            #expect(due.map(\.state.user) == expected, "at \(poll) s")
            s.given(due.map { Self.event(.heartbeat, $0.state.user, at: poll) })
        }
    }

    @Test func theSinksFilterDecidesWhoIsOwedAndWhatCounts() {
        var s = HeartbeatSchedule(sink: "hb", source: "dialer", period: 10, filter: EventFilter(campaigns: ["SALES"]))
        let floor = AgentFloor([ObservedAgent(state: Self.agent("a"), since: Self.t(0)),
                                ObservedAgent(state: Self.agent("x", campaign: "OTHER"), since: Self.t(0))])
        s.given([Self.event(.loggedIn, "a", at: 0), Self.event(.loggedIn, "x", at: 0, campaign: "OTHER")])
        #expect(s.due(on: floor, at: Self.t(30)).map(\.state.user) == ["a"], "x's campaign is not the sink's")
        #expect(s.lastEvent["x"] == nil)
    }

    @Test func anAgentFirstSeenWithoutAnEventStartsItsPeriodThen() {
        var s = HeartbeatSchedule(sink: "hb", source: "dialer", period: 10,
                                  filter: EventFilter(types: ["vicidial.agent.status_changed", "vicidial.agent.heartbeat"]))
        s.given([Self.event(.loggedIn, "a", at: 0)])  // filtered out: the sink never got it
        #expect(s.due(on: Self.floor(["a"]), at: Self.t(3)).isEmpty)
        #expect(s.due(on: Self.floor(["a"]), at: Self.t(12.9)).isEmpty)
        #expect(s.due(on: Self.floor(["a"]), at: Self.t(13)).map(\.state.user) == ["a"])
    }

    @Test func aRestartResumesFromTheJournaledHistory() {
        // b's last event to the sink was 4 s before the restart; a has none in the last period.
        var s = HeartbeatSchedule(sink: "hb", source: "dialer", period: 10, filter: EventFilter(), floor: Self.floor(["a", "b"]),
                                   history: [Self.event(.heartbeat, "b", at: 96)], at: Self.t(100))
        #expect(s.due(on: Self.floor(["a", "b"]), at: Self.t(100.1)).map(\.state.user) == ["a"])
        s.given([Self.event(.heartbeat, "a", at: 100.1)])
        #expect(s.due(on: Self.floor(["a", "b"]), at: Self.t(105.9)).isEmpty)
        #expect(s.due(on: Self.floor(["a", "b"]), at: Self.t(106)).map(\.state.user) == ["b"])
    }
}
