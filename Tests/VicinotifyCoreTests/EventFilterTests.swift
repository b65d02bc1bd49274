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

    /// A queue event passes a campaign scope when one of the campaigns that take the queue is in it.
    @Test(arguments: [
        ([String](), "", true), (["SALES"], "SALES INBOUND", true), (["INBOUND"], "SALES INBOUND", true),
        (["SALES"], "INBOUND", false), (["SALES"], "", false), (["SALES"], "SALESX", false),
    ] as [([String], String, Bool)])
    func aQueuePassesWithOneOfItsCampaigns(_ campaigns: [String], _ takers: String, _ passes: Bool) {
        let filter = EventFilter(campaigns: campaigns)
        for type in [EventType.queueChanged, .queueThresholdExceeded, .queueThresholdCleared] {
            #expect(filter.matches(type: type, source: "s", campaign: takers, userGroup: "", agent: "queue:SUPPORT") == passes)
        }
        #expect(filter.matches(type: .sourceDown, source: "s", campaign: "", userGroup: "", agent: ""), "source events pass every scope")
    }

    /// A scope sees an agent leave it: the event passes when the previous or the current state is in scope.
    @Test(arguments: [
        (["SALES"], [String](), "SUPPORT", "SALES", "G", "", true),    // moved out of SALES
        (["SALES"], [], "SALES", "SUPPORT", "G", "", true),            // moved into SALES
        (["SALES"], [], "SUPPORT", "", "G", "", false),                // a change inside SUPPORT
        (["SALES"], ["G1"], "SALES", "", "G2", "G1", true),            // left user group G1, stayed in SALES
        (["SALES"], ["G1"], "SUPPORT", "SALES", "G2", "", false),      // never in SALES and G1 at once
    ] as [([String], [String], String, String, String, String, Bool)])
    func theFormerCampaignOrGroupCounts(_ campaigns: [String], _ groups: [String], _ campaign: String, _ previousCampaign: String,
                                        _ group: String, _ previousGroup: String, _ passes: Bool) {
        let e = EncodedEvent(id: "x", sequence: 1, type: .updated, subject: "a1", sourceName: "src", campaignID: campaign, userGroup: group,
                             previousCampaignID: previousCampaign, previousUserGroup: previousGroup,
                             time: Timestamp(millisecondsSince1970: 0), json: [])
        #expect(EventFilter(campaigns: campaigns, userGroups: groups).matches(e) == passes)
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
