import Testing
import VicinotifyCore

@Suite struct EventFilterTests {
    @Test(arguments: [
        ("vicidial.agent.*", "vicidial.agent.logged_in", true),
        ("vicidial.agent.*", "vicidial.source.down", false),
        ("*.logged_*", "vicidial.agent.logged_out", true),
        ("*", "vicidial.source.up", true),
        ("vicidial.agent.status_changed", "vicidial.agent.status_changed", true),
        ("vicidial.agent.status", "vicidial.agent.status_changed", false),
        ("a*a", "a", false),
        ("*x*x", "xx", true),
    ])
    func globs(_ pattern: String, _ text: String, _ expected: Bool) {
        #expect(EventFilter.glob(pattern, matches: text) == expected)
    }

    @Test func listsRestrictAgentEventsAndSourceEventsPassThem() {
        let filter = EventFilter(types: ["vicidial.*"], campaigns: ["SALES"], agents: ["a1"])
        func event(_ type: EventType, subject: String = "a1", campaign: String = "SALES") -> EncodedEvent {
            EncodedEvent(id: "x", sequence: 1, type: type, subject: subject, sourceName: "src", campaignID: campaign,
                         userGroup: "G", time: Timestamp(millisecondsSince1970: 0), json: [])
        }
        #expect(filter.matches(event(.loggedIn)))
        #expect(!filter.matches(event(.loggedIn, campaign: "SUPPORT")))
        #expect(!filter.matches(event(.loggedIn, subject: "a2")))
        #expect(filter.matches(event(.sourceDown, subject: "src", campaign: "")))
        #expect(!EventFilter(sources: ["other"]).matches(event(.sourceDown)))
        #expect(EventFilter.unmatchablePattern(in: ["vicidial.agent.*", "vicidial.agnt.*"]) == "vicidial.agnt.*")
    }
}
