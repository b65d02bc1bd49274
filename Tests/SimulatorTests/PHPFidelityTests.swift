import CurlHTTP
import Foundation
import Simulator
import TestSupport
import Testing

/// What `non_agent_api.php` 2.14-202 really does (vicidial-api.md, "What the PHP really does").
@Suite struct PHPFidelityTests {
    let auth = "source=test&user=apiuser&pass=apipass"

    func get(_ sim: RunningSimulator, _ query: String) async throws -> String {
        String(decoding: try await sim.http.perform(HTTPRequest(url: sim.apiURL + "?" + query)).body, as: UTF8.self)
    }

    func post(_ sim: RunningSimulator, _ form: String) async throws -> String {
        let r = try await sim.http.perform(HTTPRequest(method: .post, url: sim.apiURL,
                                                       headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                       body: Array(form.utf8)))
        return String(decoding: r.body, as: UTF8.self)
    }

    func account(_ sim: RunningSimulator, _ user: String = "apiuser") async throws -> (count: Int, locked: Bool) {
        let a = (try await sim.stats()["accounts"] as? [String: Any])?[user] as? [String: Any] ?? [:]
        return ((a["failed_login_count"] as? NSNumber)?.intValue ?? -1, (a["locked"] as? NSNumber)?.boolValue ?? false)
    }

    @Test func orderOfChecks() async throws {
        let sim = try await RunningSimulator.start(agents: 1)
        defer { Task { await sim.stop() } }
        #expect(try await get(sim, "source=x&user=apiuser&pass=bad&function=logged_in_agents")
                == "ERROR: Login incorrect, please try again: |apiuser|bad|BAD|\n", "login before the source check")
        #expect(try await get(sim, "function=coffee&user=nobody") == "Coffee: coffee|Error 418 I'm a teapot",
                "coffee before any login")
        try await sim.auth(["ip_blocked": true])
        #expect(try await get(sim, "source=test&user=apiuser&pass=bad&function=version2").hasPrefix("ERROR: Login incorrect"),
                "the IP list is checked only after a correct password")
        #expect(try await get(sim, auth + "&function=logged_in_agents").hasPrefix("ERROR: Your IP Address is not allowed"))
        try await sim.auth(["ip_blocked": false])
        #expect(try await get(sim, auth + "&function=agent_status&agent_user=nobody&agent_user=agent001")
                .hasPrefix("PAUSED|"), "the last of a repeated key wins")
        #expect(try await get(sim, auth + "&function=logged_in_agents&campaigns=NONE&agent_user=x9")
                == "ERROR: logged_in_agents NO LOGGED IN AGENTS: apiuser|x9\n", "agent_user is echoed")
        #expect(try await post(sim, auth + "&function=agent_status&agent_user=agent001").hasPrefix("PAUSED|"))
        let stats = try await sim.stats()
        #expect((stats["methods"] as? [String: Any])?["POST"] as? Int == 1)
        #expect((stats["pass_in_url"] as? NSNumber)?.intValue ?? 0 >= 5)
    }

    @Test func lockoutFollowsVICIdialsRules() async throws {
        let sim = try await RunningSimulator.start(agents: 1)
        defer { Task { await sim.stop() } }
        let bad = "source=test&user=apiuser&pass=wrong&function=version2"
        for _ in 0..<3 { _ = try await get(sim, "source=test&user=ghost&pass=x&function=version2") }
        #expect(try await account(sim).count == 0, "unknown users are not counted")
        _ = try await get(sim, auth + "&function=logged_in_agents")  // a login: now
        for n in 1...10 {
            #expect(try await get(sim, bad).hasPrefix("ERROR: Login incorrect"))
            #expect(try await account(sim).count == n)
        }
        #expect(try await get(sim, bad).hasPrefix("ERROR: Too many login attempts"), "the eleventh answers LOCK")
        #expect(try await get(sim, auth + "&function=logged_in_agents").hasPrefix("ERROR: Too many login attempts"),
                "while locked the right password is refused")
        try await sim.control(.post, "/sim/clock", ["advance_s": 14 * 60])
        #expect(try await account(sim).locked, "the window runs from the last login")
        try await sim.control(.post, "/sim/clock", ["advance_s": 61])
        #expect(try await !account(sim).locked)
        #expect(try await get(sim, bad).hasPrefix("ERROR: Login incorrect"))
        #expect(try await account(sim).count == 1, "past the window the count restarts at 1")
        #expect(!(try await get(sim, auth + "&function=logged_in_agents").hasPrefix("ERROR")))
        #expect(try await account(sim).count == 0, "a correct login resets the count")
        try await sim.auth(["two_factor": true])
        #expect(try await get(sim, auth + "&function=logged_in_agents") == "ERROR: Login incorrect, please try again: |apiuser|apipass|2FA|\n")
        #expect(try await account(sim).count == 0, "2FA is not a failed login")
    }

    @Test func restrictedViewsAndDuplicateRows() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        defer { Task { await sim.stop() } }
        for u in ["agent001", "agent002", "agent003"] { try await sim.set(u, ["campaign_id": "SALES", "user_group": "AGENTS"]) }
        try await sim.set("agent002", ["campaign_id": "SUPPORT"])
        try await sim.set("agent003", ["user_group": "NIGHT"])
        try await sim.auth(["allowed_campaigns": ["SALES"], "viewable_groups": ["AGENTS"]])
        let floor = try await get(sim, auth + "&function=logged_in_agents&stage=pipe")
        #expect(floor.split(separator: "\n").map { $0.prefix(8) } == ["agent001"])
        #expect(try await get(sim, auth + "&function=agent_status&agent_user=agent002").hasPrefix("PAUSED|"),
                "agent_status ignores allowed_campaigns")
        #expect(try await get(sim, auth + "&function=agent_status&agent_user=agent003")
                == "ERROR: agent_status AGENT NOT FOUND: apiuser|agent003\n", "a group out of view is not found")
        try await sim.auth(["allowed_campaigns": NSNull(), "viewable_groups": NSNull()])
        try await sim.set("agent001", ["status": "READY", "duplicate": true])
        try await sim.set("agent001", ["status": "INCALL", "lead_id": 7])
        let rows = try await get(sim, auth + "&function=logged_in_agents&stage=pipe").split(separator: "\n")
        #expect(rows.filter { $0.hasPrefix("agent001|") }.count == 2, "both live rows are printed")
        #expect(try await get(sim, auth + "&function=agent_status&agent_user=agent001").hasPrefix("INCALL|"),
                "agent_status reads the first")
    }

    struct Rule: Sendable, CustomTestStringConvertible {
        var name: String
        /// (user, JSON fields) sent to `/sim/agents/{user}` in order.
        var steps: [(String, String)]
        var user: String
        var subStatus: String
        var leadID: Int64
        var testDescription: String { name }
    }

    static let rules: [Rule] = [
        Rule(name: "RING while READY", steps: [("agent001", "{\"status\":\"READY\",\"ringing\":true}")], user: "agent001", subStatus: "RING", leadID: 0),
        Rule(name: "RING while PAUSED", steps: [("agent001", "{\"status\":\"PAUSED\",\"ringing\":true}")], user: "agent001", subStatus: "RING", leadID: 0),
        Rule(name: "DISPO: PAUSED with a lead", steps: [("agent001", "{\"status\":\"PAUSED\",\"lead_id\":5}")], user: "agent001", subStatus: "DISPO", leadID: 5),
        Rule(name: "READY with a lead shows nothing", steps: [("agent001", "{\"status\":\"READY\",\"lead_id\":5}")], user: "agent001", subStatus: "", leadID: 5),
        Rule(name: "PREVIEW shows the preview lead", steps: [("agent001", "{\"status\":\"PAUSED\",\"preview_lead_id\":88}")], user: "agent001", subStatus: "PREVIEW", leadID: 88),
        Rule(name: "3-WAY needs two INCALL on one lead", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9}"), ("agent002", "{\"status\":\"INCALL\",\"lead_id\":9}")], user: "agent001", subStatus: "3-WAY", leadID: 9),
        Rule(name: "one INCALL alone is no 3-WAY", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9}")], user: "agent001", subStatus: "", leadID: 9),
        Rule(name: "PARK beats 3-WAY", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"parked\":true}"), ("agent002", "{\"status\":\"INCALL\",\"lead_id\":9}")], user: "agent001", subStatus: "PARK", leadID: 9),
        Rule(name: "DEAD per leg", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"customer_gone\":true}"), ("agent002", "{\"status\":\"INCALL\",\"lead_id\":9}")], user: "agent001", subStatus: "DEAD", leadID: 9),
        Rule(name: "the partner of a DEAD leg stays 3-WAY", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"customer_gone\":true}"), ("agent002", "{\"status\":\"INCALL\",\"lead_id\":9}")], user: "agent002", subStatus: "3-WAY", leadID: 9),
        Rule(name: "an email never shows DEAD", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"customer_gone\":true,\"channel\":\"email\"}")], user: "agent001", subStatus: "", leadID: 9),
        Rule(name: "DIAL: a manual dial not yet answered", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"call_type\":\"manual\",\"dialing\":true}")], user: "agent001", subStatus: "DIAL", leadID: 9),
        Rule(name: "DIAL needs comments MANUAL: an auto call is not", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"call_type\":\"auto\",\"dialing\":true}")], user: "agent001", subStatus: "", leadID: 9),
        Rule(name: "DIAL only when not parked", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"call_type\":\"manual\",\"dialing\":true,\"parked\":true}")], user: "agent001", subStatus: "PARK", leadID: 9),
        Rule(name: "DEAD only when not parked", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"parked\":true,\"customer_gone\":true}")], user: "agent001", subStatus: "PARK", leadID: 9),
        Rule(name: "a chat is DEAD once the customer left it", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"customer_gone\":true,\"channel\":\"chat\"}")], user: "agent001", subStatus: "DEAD", leadID: 9),
        Rule(name: "RING in INCALL is overwritten by nothing else", steps: [("agent001", "{\"status\":\"INCALL\",\"lead_id\":9,\"ringing\":true}")], user: "agent001", subStatus: "RING", leadID: 9),
    ]

    /// Each rule of the sub-status derivation, scripted through the control interface.
    @Test(arguments: rules)
    func subStatusIsDerivedFromTheFloor(_ rule: Rule) async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        defer { Task { await sim.stop() } }
        for (user, json) in rule.steps {
            try await sim.set(user, try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any])
        }
        let row = try await get(sim, auth + "&function=logged_in_agents&stage=pipe&show_sub_status=YES")
            .split(separator: "\n").first { $0.hasPrefix(rule.user + "|") }
        let f = row.map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) } ?? []
        #expect(f.count == 12)
        #expect(f.last == rule.subStatus)
        #expect(f.count > 4 && f[4] == String(rule.leadID))
        let status = try await get(sim, auth + "&function=agent_status&agent_user=\(rule.user)")
            .split(separator: "|", omittingEmptySubsequences: false)
        #expect(status.count > 9 && status[9] == rule.subStatus, "agent_status derives the same")
    }

    @Test func pausingShowsAnEmptyCodeFirstAndCallIDsSayTheCallType() async throws {
        let sim = try await RunningSimulator.start(agents: 40, seed: 3)
        defer { Task { await sim.stop() } }
        var codes: Set<String> = []
        var prefixes: Set<Character> = []
        for _ in 0..<120 {
            try await sim.control(.post, "/sim/tick", ["count": 1])
            for a in try await sim.agents() {
                if a["status"] as? String == "PAUSED" { codes.insert(a["pause_code"] as? String ?? "?") }
                if let c = (a["callerid"] as? String)?.first { prefixes.insert(c) }
            }
        }
        #expect(codes.contains(""), "a new pause shows no code until the agent picks one")
        #expect(codes.contains("LAGGED") && codes.contains("ANDIAL"), "system pause codes: \(codes.sorted())")
        #expect(prefixes == ["V", "M", "Y"], "auto, manual and inbound call ids: \(prefixes.sorted())")
    }
}
