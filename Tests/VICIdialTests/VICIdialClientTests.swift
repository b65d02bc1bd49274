import CurlHTTP
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// The client against the simulator, over HTTP on 127.0.0.1.
@Suite struct VICIdialClientTests {
    static let password = "Sup3r-secret!pw"

    func source(_ sim: RunningSimulator, _ configure: (inout VICIdialSource) -> Void = { _ in }) -> VICIdialSource {
        var s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: Self.password, timeout: 5)
        configure(&s)
        return s
    }

    func started(agents: Int = 5) async throws -> RunningSimulator {
        let sim = try await RunningSimulator.start(agents: agents)
        try await sim.auth(["password": Self.password])
        return sim
    }

    /// A URL to the wrong path gets VICIdial's 404; the failure says where the API is.
    @Test func aWrongPathSaysWhereTheAPIIs() async throws {
        let sim = try await started(agents: 1)
        defer { Task { await sim.stop() } }
        let wrong = sim.apiURL.replacingOccurrences(of: "non_agent_api.php", with: "api.php")
        let client = VICIdialClient(source: source(sim) { $0.url = wrong }, transport: sim.http)
        guard case .failure(let failure) = await client.poll() else { Issue.record("polled a wrong path"); return }
        #expect(failure.reason == .httpStatus && failure.message.contains("HTTP 404")
                && failure.message.contains("/vicidial/non_agent_api.php"), "\(failure)")
    }

    @Test(arguments: VICIdialSource.Stage.allCases, [true, false])
    func wholeFloorInEveryStage(stage: VICIdialSource.Stage, header: Bool) async throws {
        let sim = try await started()
        defer { Task { await sim.stop() } }
        try await sim.set("agent002", ["status": "INCALL", "lead_id": 77, "callerid": "M1124000000000000077",
                                        "full_name": "Bond, James"])
        try await sim.set("agent004", ["status": "INCALL", "lead_id": 77, "callerid": "M1124000000000000077"])
        try await sim.set("agent003", ["status": "PAUSED", "pause_code": "BRK2"])
        let client = VICIdialClient(source: source(sim) { $0.stage = stage; $0.header = header }, transport: sim.http)
        let snapshot = try await client.poll().get()
        let truth = try await sim.agents()
        #expect(snapshot.agents.map(\.user) == truth.map { $0["user"] as! String })
        let a2 = try #require(snapshot.agents.first { $0.user == "agent002" })
        #expect(a2.status == "INCALL")
        #expect(a2.subStatus == "3-WAY")
        #expect(a2.leadID == 77)
        #expect(a2.callerID == "M1124000000000000077")
        #expect(a2.fullName == "Bond, James")
        let a3 = try #require(snapshot.agents.first { $0.user == "agent003" })
        #expect(a3.pauseCode == "BRK2")
        #expect(try await sim.requests("logged_in_agents") == 1, "one request for the whole floor")
    }

    @Test func campaignAndUserGroupFilters() async throws {
        let sim = try await started(agents: 2)
        defer { Task { await sim.stop() } }
        try await sim.set("agent001", ["campaign_id": "SALES", "user_group": "AGENTS"])
        try await sim.set("agent002", ["campaign_id": "SUPPORT", "user_group": "AGENTS"])
        try await sim.set("agent009", ["campaign_id": "SUPPORT", "user_group": "NIGHT"])
        let sales = try await VICIdialClient(source: source(sim) { $0.campaigns = ["SALES"] }, transport: sim.http).poll().get()
        #expect(sales.agents.map(\.user) == ["agent001"])
        let support = try await VICIdialClient(source: source(sim) { $0.campaigns = ["SUPPORT", "X"]; $0.userGroups = ["NIGHT"] },
                                               transport: sim.http).poll().get()
        #expect(support.agents.map(\.user) == ["agent009"])
        let nobody = try await VICIdialClient(source: source(sim) { $0.campaigns = ["NONE"] }, transport: sim.http).poll().get()
        #expect(nobody.agents.isEmpty, "NO LOGGED IN AGENTS is an empty floor")
    }

    @Test func watchListMode() async throws {
        let sim = try await started(agents: 4)
        defer { Task { await sim.stop() } }
        try await sim.logout("agent003")
        try await sim.set("agent001", ["status": "INCALL", "lead_id": 5, "phone_number": "3125551212", "vendor_lead_code": "V1"])
        let client = VICIdialClient(source: source(sim) {
            $0.mode = .agentStatus
            $0.agents = ["agent001", "agent002", "agent003", "agent004", "ghost"]
            $0.concurrency = 2
        }, transport: sim.http)
        let snapshot = try await client.poll().get()
        #expect(snapshot.agents.map(\.user) == ["agent001", "agent002", "agent004"])
        #expect(snapshot.notFound == ["ghost"])
        let a1 = snapshot.agents[0]
        #expect(a1.phoneNumber == "3125551212")
        #expect(a1.vendorLeadCode == "V1")
        #expect(try await sim.requests("agent_status") == 5)
    }

    /// Every way a poll can fail, and what the client must make of it.
    static let faults: [(String, PollFailure.Reason)] = [
        ("wrong password", .loginIncorrect),
        ("level below 7", .loginIncorrect),
        ("ip blocked", .ipBlocked),
        ("no view_reports", .permissionDenied),
        ("function not allowed", .permissionDenied),
        ("HTTP 500, empty body", .httpStatus),
        ("HTML error page", .unparseable),
        ("garbage body", .unparseable),
        ("truncated body", .unparseable),
        ("other API error", .apiError),
        ("timeout", .timeout),
        ("dropped connection", .transport),
        ("HTTP 418", .httpStatus),
    ]

    func inject(_ name: String, into sim: RunningSimulator, client: inout VICIdialClient) async throws {
        switch name {
        case "wrong password": client = VICIdialClient(source: source(sim) { $0.password = "wrong-\(Self.password)" }, transport: sim.http)
        case "level below 7": try await sim.auth(["user_level": 6])
        case "ip blocked": try await sim.auth(["ip_blocked": true])
        case "no view_reports": try await sim.auth(["view_reports": false])
        case "function not allowed": try await sim.auth(["allowed_functions": ["version"]])
        case "HTTP 500, empty body": try await sim.fault(["status": 500])
        case "HTML error page": try await sim.fault(["html": true, "status": 200])
        case "garbage body": try await sim.fault(["body": "\u{1}\u{2}garbage"])
        case "truncated body": try await sim.fault(["body": "agent001\tSALES\t8600051\tREADY\t0\t\t0\tAda"])
        case "other API error": try await sim.fault(["body": "ERROR: something new: |apiuser|\n"])
        case "timeout": try await sim.fault(["delay_ms": 8000])
        // libcurl retries a GET once when a kept-alive connection dies before answering.
        case "dropped connection": try await sim.fault(["drop": true, "count": 2])
        case "HTTP 418": try await sim.fault(["status": 418, "body": "I'm a teapot\n"])
        default: Issue.record("unknown fault \(name)")
        }
    }

    @Test(arguments: faults)
    func failedPollsAreClassifiedAndNeverLogAgentsOut(name: String, reason: PollFailure.Reason) async throws {
        let sim = try await started(agents: 3)
        defer { Task { await sim.stop() } }
        var client = VICIdialClient(source: source(sim), transport: sim.http)
        var tracker = SourceTracker(name: "sim", eventSource: "vicidial://sim", redactedURL: client.redactedURL)
        let t0 = Timestamp.now()
        let initial = try await client.poll().get()
        #expect(tracker.observe(initial.agents, at: t0).count == 3)

        try await inject(name, into: sim, client: &client)
        let result = await client.poll()
        guard case .failure(let failure) = result else {
            Issue.record("\(name): the poll succeeded: \(result)")
            return
        }
        #expect(failure.reason == reason, "\(name): \(failure)")
        #expect(!failure.message.contains(Self.password), "the password never appears in a failure")
        #expect(!failure.description.contains(Self.password))
        let events = tracker.fail(reason: failure.reason.rawValue, message: failure.message, at: t0.adding(milliseconds: 1000))
        #expect(events.allSatisfy { $0.type == .sourceDown })
        #expect(tracker.floor.count == 3, "\(name) must not turn into logouts")
    }

    @Test func lockoutAfterTenBadLogins() async throws {
        let sim = try await started(agents: 1)
        defer { Task { await sim.stop() } }
        let bad = VICIdialClient(source: source(sim) { $0.password = "nope" }, transport: sim.http)
        _ = try await VICIdialClient(source: source(sim), transport: sim.http).poll().get()  // the last login: now
        var reasons: [PollFailure.Reason] = []
        for _ in 0..<11 {
            if case .failure(let f) = await bad.poll() { reasons.append(f.reason) }
        }
        #expect(reasons == Array(repeating: .loginIncorrect, count: 10) + [.lockedOut])
        let good = VICIdialClient(source: source(sim), transport: sim.http)
        guard case .failure(let f) = await good.poll() else { Issue.record("a locked user got in"); return }
        #expect(f.reason == .lockedOut, "while locked, the right password is refused too")
        #expect(f.isCredentialProblem)
    }

    @Test func connectionRefusedIsATransportFailure() async throws {
        let sim = try await started(agents: 1)
        let url = sim.apiURL
        await sim.stop()
        var s = VICIdialSource(name: "gone", url: url, user: "apiuser", password: Self.password, timeout: 3)
        s.connectTimeout = 1
        let result = await VICIdialClient(source: s, transport: CurlTransport()).poll()
        guard case .failure(let f) = result else { Issue.record("polled a stopped server"); return }
        #expect(f.reason == .transport)
        #expect(!f.message.contains(Self.password))
    }

    @Test func redactedURLHidesThePassword() async throws {
        let s = VICIdialSource(name: "x", url: "https://dialer1.example.com/vicidial/non_agent_api.php", user: "apiuser",
                               password: Self.password)
        let client = VICIdialClient(source: s, transport: CurlTransport())
        #expect(!client.redactedURL.contains(Self.password))
        #expect(client.redactedURL == s.url, "the password travels in the POST body, never in the URL")
        #expect(s.authority == "dialer1.example.com")
    }
}

/// Answers that look like success but are not believable.
@Suite struct VICIdialHardeningTests {
    static let password = "Hard3ned-pass_word"

    func started(agents: Int) async throws -> (RunningSimulator, VICIdialClient) {
        let sim = try await RunningSimulator.start(agents: agents)
        try await sim.auth(["password": Self.password])
        let s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: Self.password, timeout: 5)
        return (sim, VICIdialClient(source: s, transport: sim.http))
    }

    @Test func aHeaderWithNoRowIsAFailedPoll() async throws {
        let (sim, client) = try await started(agents: 3)
        defer { Task { await sim.stop() } }
        try await sim.fault(["body": "user\tcampaign_id\tsession_id\tstatus\tlead_id\tcallerid\tcalls_today\tfull_name\tuser_group\tuser_level\tpause_code\tsub_status\n"])
        guard case .failure(let f) = await client.poll() else { Issue.record("a header alone logged the floor out"); return }
        #expect(f.reason == .suspicious)
    }

    @Test func mostOfTheFloorVanishingIsBelievedOnlyTwice() async throws {
        let (sim, client) = try await started(agents: 20)
        defer { Task { await sim.stop() } }
        let all = Set(try await client.poll().get().agents.map(\.user))
        // An HTTP/1.0-style answer cut after three complete rows: nothing in the bytes says so.
        let rows = try await sim.agents().prefix(3).map { a in
            ["user", "campaign_id", "session_id", "status", "lead_id", "callerid", "calls_today", "full_name", "user_group",
             "user_level", "pause_code", "sub_status"].map { "\(a[$0] ?? "")" }.joined(separator: "\t")
        }
        try await sim.fault(["body": rows.joined(separator: "\n") + "\n", "count": 1])
        guard case .failure(let f) = await client.poll(known: KnownFloor(users: all)) else {
            Issue.record("17 of 20 agents logged out on one odd answer"); return
        }
        #expect(f.reason == .suspicious)
        for u in try await sim.agents().dropFirst(3) { try await sim.logout(u["user"] as! String) }
        let confirmed = try await client.poll(known: KnownFloor(users: all, dropPending: true)).get()
        #expect(confirmed.agents.count == 3, "the next poll shows the same: a real mass logout")
    }

    @Test func noPrefixOfTheEchoedPasswordSurvivesTheCut() async throws {
        let (sim, client) = try await started(agents: 1)
        defer { Task { await sim.stop() } }
        // The password starts 3 characters before the 120-character cut of the message.
        try await sim.fault(["status": 500, "body": String(repeating: "x", count: 117) + Self.password + " trailing"])
        guard case .failure(let f) = await client.poll() else { Issue.record("polled"); return }
        #expect(!f.message.contains(String(Self.password.prefix(3))), "\(f.message)")
        #expect(f.message.hasPrefix("HTTP 500 (xxxxxxxx"), "\(f.message)")
    }

    @Test func everyRequestIsAPostWithoutThePasswordInTheURL() async throws {
        let (sim, client) = try await started(agents: 3)
        defer { Task { await sim.stop() } }
        _ = try await client.poll().get()
        var s = client.source
        s.mode = .agentStatus
        s.agents = ["agent001", "agent002", "agent003"]
        _ = try await VICIdialClient(source: s, transport: sim.http).poll().get()
        let stats = try await sim.stats()
        #expect((stats["methods"] as? [String: Any])?["POST"] as? Int == 4)
        #expect((stats["methods"] as? [String: Any])?["GET"] == nil)
        #expect((stats["pass_in_url"] as? NSNumber)?.intValue == 0)
    }
}

/// Vanished agents with a campaign filter: asked about once, kept out of view, asked again later.
@Suite struct VanishedAgentTests {
    func started() async throws -> (RunningSimulator, VICIdialClient) {
        let sim = try await RunningSimulator.start(agents: 2)
        try await sim.set("agent001", ["campaign_id": "SALES"])
        try await sim.set("agent002", ["campaign_id": "SUPPORT", "status": "INCALL", "lead_id": 4])
        let s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: "apipass", campaigns: ["SALES"])
        return (sim, VICIdialClient(source: s, transport: sim.http))
    }

    @Test func anAgentAlreadyOutOfViewIsRecheckedButNotReported() async throws {
        let (sim, client) = try await started()
        defer { Task { await sim.stop() } }
        let now = Timestamp.now()
        let known = KnownFloor(users: ["agent001", "agent002"], outOfView: ["agent002": now.adding(milliseconds: -61_000)], now: now)
        let snapshot = try await client.poll(known: known).get()
        #expect(snapshot.agents.map(\.user) == ["agent001"], "its state out of view is not an event")
        #expect(snapshot.keeping == ["agent002"])
        #expect(snapshot.outOfView["agent002"] == now, "checked again: still logged in")
        #expect(try await sim.requests("agent_status") == 1)
        let soon = KnownFloor(users: ["agent001", "agent002"], outOfView: ["agent002": now], now: now.adding(milliseconds: 1000))
        _ = try await client.poll(known: soon).get()
        #expect(try await sim.requests("agent_status") == 1, "not asked again within a minute")
    }

    @Test func aFailedCheckKeepsTheAgentAndAsksAgain() async throws {
        let (sim, client) = try await started()
        defer { Task { await sim.stop() } }
        try await sim.fault(["status": 500, "count": 1, "function": "agent_status"])
        let known = KnownFloor(users: ["agent001", "agent002"])
        let undecided = try await client.poll(known: known).get()
        #expect(undecided.undecided == ["agent002"] && undecided.keeping == ["agent002"] && undecided.outOfView.isEmpty)
        let moved = try await client.poll(known: known).get()
        #expect(moved.agents.map(\.user) == ["agent001", "agent002"], "the next poll shows the move")
        #expect(moved.agents.last?.campaignID == "SUPPORT")
    }

}
