import Testing
import VICIdial
import VicinotifyCore

/// `in_group_status`: one aggregate row in the column order of vicidial-api.md, in each stage; what the
/// API does not give stays nil; errors carry VICIdial's text.
@Suite struct InGroupStatusTests {
    @Test(arguments: [(UInt8(ascii: "|"), "SUPPORT|7|3|12|4|2|5|1|0\n"), (UInt8(ascii: ","), "SUPPORT,7,3,12,4,2,5,1,0\n"),
                      (UInt8(0x09), "SUPPORT\t7\t3\t12\t4\t2\t5\t1\t0\n"),
                      (UInt8(ascii: "|"), "ingroups|total_calls|calls_waiting|agents_logged_in|agents_in_calls|agents_waiting|agents_paused|agents_in_dispo|agents_in_dial\nSUPPORT|7|3|12|4|2|5|1|0\n")])
    func theRowIsReadInEveryStage(_ delimiter: UInt8, _ body: String) throws {
        let q = try ResponseParser.inGroupStatus(Array(body.utf8), queue: "SUPPORT", kind: .inGroup, delimiter: delimiter, password: "pw").get()
        #expect(q == QueueState(queue: "SUPPORT", kind: .inGroup, callsWaiting: 3, activeCalls: 7, agentsLoggedIn: 12, agentsReady: 2,
                                agentsInCall: 4, agentsPaused: 5, agentsInDispo: 1))
        #expect(q.oldestWaitSeconds == nil && q.ringing == nil, "the API gives no waits and no ringing")
    }

    @Test(arguments: [
        ("ERROR: in_group_status INVALID IN-GROUP - NOPE\n", PollFailure.Reason.apiError),
        ("ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |apiuser|in_group_status|\n", .permissionDenied),
        ("SUPPORT|7|3\n", .unparseable), ("SUPPORT|7|x|12|4|2|5|1|0\n", .unparseable), ("<html>500</html>", .unparseable),
    ])
    func badAnswersAreFailuresWithVICIdialsText(_ body: String, _ reason: PollFailure.Reason) throws {
        guard case .failure(let f) = ResponseParser.inGroupStatus(Array(body.utf8), queue: "NOPE", kind: .inGroup,
                                                                  delimiter: UInt8(ascii: "|"), password: "pw") else {
            Issue.record("accepted: \(body)")
            return
        }
        #expect(f.reason == reason, "\(f)")
        if body.hasPrefix("ERROR") { #expect(f.message.contains(body.trimmingCharacters(in: .newlines).prefix(30))) }
    }
}

/// The queues are read every `interval`, and with every poll when it is 0.
@Suite struct QueueIntervalTests {
    @Test func dueEveryInterval() {
        let t0 = ContinuousClock.now
        let every5 = QueueSelection(inGroups: ["A"], interval: 5)
        #expect(every5.due(now: t0, last: nil))
        #expect(!every5.due(now: t0 + .seconds(1), last: t0))
        #expect(every5.due(now: t0 + .seconds(5), last: t0))
        #expect(every5.due(now: t0 + .milliseconds(4960), last: t0), "a poll that starts a little early still reads them")
        let always = QueueSelection(inGroups: ["A"])
        #expect(always.due(now: t0, last: t0))
        let clock = QueueClock()
        #expect(clock.due(every5) && !clock.due(every5), "read, then not due until the interval passed")
    }
}
