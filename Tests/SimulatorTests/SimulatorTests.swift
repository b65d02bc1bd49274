import CurlHTTP
import Foundation
import Simulator
import TestSupport
import Testing

/// The simulator speaks VICIdial's bytes; these tests read them raw, as a client would.
@Suite struct SimulatorTests {
    func get(_ sim: RunningSimulator, _ query: String) async throws -> HTTPResponse {
        try await sim.http.perform(HTTPRequest(url: sim.apiURL + "?" + query))
    }

    func text(_ r: HTTPResponse) -> String { String(decoding: r.body, as: UTF8.self) }

    @Test func exactBodies() async throws {
        let sim = try await RunningSimulator.start(agents: 2, loggedIn: false)
        defer { Task { await sim.stop() } }
        let auth = "source=test&user=apiuser&pass=apipass"
        let none = try await get(sim, auth + "&function=logged_in_agents")
        #expect(text(none) == "ERROR: logged_in_agents NO LOGGED IN AGENTS: apiuser|\n")
        #expect(none.status == 200)
        #expect(none.header("Content-Type") == "text/html; charset=utf-8")

        try await sim.set("6666", ["campaign_id": "TESTCAMP", "session_id": "8600051", "status": "INCALL", "lead_id": 1_079_409,
                                   "callerid": "M2260919190001079409", "calls_today": 1, "full_name": "Admin",
                                   "user_group": "ADMIN", "user_level": 9, "pause_code": "LOGIN", "sub_status": "DEAD"])
        try await sim.set("4545", ["campaign_id": "TESTCAMP", "session_id": "8600052", "status": "PAUSED", "full_name": "4545",
                                   "user_group": "MIKESGROUP", "user_level": 8, "pause_code": "LOGIN"])
        let floor = try await get(sim, auth + "&function=logged_in_agents&show_sub_status=YES")
        #expect(text(floor) == "6666|TESTCAMP|8600051|INCALL|1079409|M2260919190001079409|1|Admin|ADMIN|9|LOGIN|DEAD\n"
                             + "4545|TESTCAMP|8600052|PAUSED|0||0|4545|MIKESGROUP|8|LOGIN|\n")
        let lower = try await get(sim, auth + "&function=logged_in_agents&show_sub_status=yes&stage=CSV&header=yes")
        #expect(text(lower).hasPrefix("6666|TESTCAMP|8600051|INCALL|1079409|M2260919190001079409|1|Admin|ADMIN|9\n"),
                "option values are case-sensitive: wrong spellings fall back to the defaults")
        let tab = try await get(sim, auth + "&function=logged_in_agents&stage=tab&header=YES&show_sub_status=YES")
        #expect(text(tab).hasPrefix("user\tcampaign_id\tsession_id\tstatus\tlead_id\tcallerid\tcalls_today\tfull_name\tuser_group\tuser_level\tpause_code\tsub_status\n"))

        let status = try await get(sim, auth + "&function=agent_status&agent_user=6666&stage=pipe&header=YES&include_ip=YES")
        #expect(text(status) == "status|callerid|lead_id|campaign_id|calls_today|full_name|user_group|user_level|pause_code|real_time_sub_status|phone_number|vendor_lead_code|session_id|computer_ip\n"
                              + "INCALL|M2260919190001079409|1079409|TESTCAMP|1|Admin|ADMIN|9|LOGIN|DEAD|||8600051\n",
                "no login record: 13 fields under a 14-field header")
        #expect(text(try await get(sim, auth + "&function=agent_status&agent_user=agent001")) == "ERROR: agent_status AGENT NOT LOGGED IN: apiuser|agent001\n")
        #expect(text(try await get(sim, auth + "&function=agent_status&agent_user=nosuchuser")) == "ERROR: agent_status AGENT NOT FOUND: apiuser|nosuchuser\n")
        #expect(text(try await get(sim, auth + "&function=agent_status&agent_user=")) == "ERROR: agent_status INVALID SEARCH PARAMETERS: apiuser|\n")
        #expect(text(try await get(sim, "source=test&user=apiuser&pass=it's!wrong&function=logged_in_agents"))
                == "ERROR: Login incorrect, please try again: |apiuser|itswrong|BAD|\n")
        #expect(text(try await get(sim, auth + "&function=nonesuch")) == "ERROR: NO FUNCTION SPECIFIED\n")
        #expect(text(try await get(sim, "source=x&user=apiuser&pass=apipass&function=logged_in_agents"))
                == "ERROR: Invalid Source - x\nERROR: Invalid Source: |x|\n")
        #expect(try await get(sim, auth + "&function=coffee").status == 418)
        #expect(text(try await get(sim, "function=version")).hasPrefix("VERSION: 2.14-202|BUILD: 250720-1841|DATE: "))
        try await sim.auth(["view_reports": false])
        #expect(text(try await get(sim, auth + "&function=logged_in_agents"))
                == "ERROR: logged_in_agents USER DOES NOT HAVE PERMISSION TO GET AGENT INFO: |apiuser|0|\n")
        try await sim.auth(["allowed_functions": ["version"]])
        #expect(text(try await get(sim, auth + "&function=agent_status&agent_user=6666"))
                == "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |apiuser|agent_status|\n")
    }

    @Test func loginsFillTheGapsLeftByLogouts() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        defer { Task { await sim.stop() } }
        try await sim.logout("agent002")
        try await sim.set("newbie", ["status": "READY"])
        #expect(try await sim.agents().map { $0["user"] as? String } == ["agent001", "newbie", "agent003"])
    }

    @Test func theSameSeedGivesTheSameDay() async throws {
        func day(seed: UInt64) async throws -> [[String]] {
            let sim = try await RunningSimulator.start(agents: 30, seed: seed)
            defer { Task { await sim.stop() } }
            var states: [[String]] = []
            for _ in 0..<40 {
                try await sim.control(.post, "/sim/tick", ["count": 1])
                states.append(try await sim.agents().map { "\($0["status"]!)/\($0["sub_status"]!) \($0["user"]!) \($0["lead_id"]!)" })
            }
            return states
        }
        let a = try await day(seed: 9)
        #expect(try await day(seed: 9) == a)
        #expect(try await day(seed: 10) != a)
        let seen = Set(a.joined().map { String($0.prefix { $0 != " " }) })
        for expected in ["READY/", "QUEUE/", "INCALL/", "INCALL/DEAD", "PAUSED/", "PAUSED/DISPO"] {
            #expect(seen.contains(expected), "a day has \(expected)")
        }
        #expect(Set(a.map(\.count)).count > 1, "agents log out and in")
    }

    @Test func connectionsAreKeptAlive() async throws {
        let sim = try await RunningSimulator.start(agents: 1)
        defer { Task { await sim.stop() } }
        let first = try await get(sim, "function=version")
        let second = try await get(sim, "function=version")
        #expect(first.status == 200 && second.status == 200)
        #expect(second.reusedConnection)
    }

    @Test func faultsAreCountedAndScopedByFunction() async throws {
        let sim = try await RunningSimulator.start(agents: 1)
        defer { Task { await sim.stop() } }
        try await sim.fault(["status": 500, "count": 2, "function": "logged_in_agents"])
        let auth = "source=test&user=apiuser&pass=apipass&function="
        #expect(try await get(sim, auth + "version").status == 200)
        #expect(try await get(sim, auth + "logged_in_agents").status == 500)
        #expect(try await get(sim, auth + "logged_in_agents").body.isEmpty)
        #expect(try await get(sim, auth + "logged_in_agents").status == 200)
        await #expect(throws: ControlError.self) { try await sim.set("x", ["no_such_field": 1]) }
    }
}
