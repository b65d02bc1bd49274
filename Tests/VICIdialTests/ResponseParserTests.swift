import Foundation
import Testing
@testable import VICIdial
import VicinotifyCore

/// Real VICIdial bodies from Fixtures/, parsed and classified.
@Suite struct ResponseParserTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return Array(try Data(contentsOf: url))
    }

    func floor(_ name: String, _ delimiter: UInt8 = UInt8(ascii: "|"), password: String = "s3cr3tpass") throws -> Result<[AgentState], PollFailure> {
        ResponseParser.loggedInAgents(try Self.fixture(name), delimiter: delimiter, password: password)
    }

    @Test func pipeWithSubStatus() throws {
        let agents = try floor("logged_in_agents.pipe.sub_status.txt").get()
        #expect(agents.count == 2)
        #expect(agents[0] == AgentState(user: "6666", status: "INCALL", subStatus: "DEAD", pauseCode: "LOGIN",
                                        leadID: 1_079_409, callerID: "M2260919190001079409", campaignID: "TESTCAMP",
                                        sessionID: "8600051", callsToday: 1, fullName: "Admin", userGroup: "ADMIN", userLevel: 9))
        #expect(agents[0].pauseCode == "", "INCALL keeps no pause code")
        #expect(agents[1].status == "PAUSED")
        #expect(agents[1].pauseCode == "LOGIN")
        #expect(agents[1].subStatus == "")
        #expect(agents[1].userGroup == "MIKESGROUP")
    }

    @Test func pipeWithoutSubStatusColumns() throws {
        let agents = try floor("logged_in_agents.pipe.txt").get()
        #expect(agents.map(\.user) == ["6666", "4545"])
        #expect(agents[1].pauseCode == "")
        #expect(agents[0].userLevel == 9)
    }

    @Test func csvHeaderWithACommaInTheName() throws {
        let agents = try floor("logged_in_agents.csv.header.txt", UInt8(ascii: ",")).get()
        #expect(agents.count == 2)
        #expect(agents[0].fullName == "Bond, James")
        #expect(agents[0].userGroup == "AGENTS")
        #expect(agents[0].callsToday == 3)
        #expect(agents[1].fullName == "Admin")
    }

    @Test func csvWithoutHeaderAndTwoCommasInTheName() throws {
        let agents = try floor("logged_in_agents.csv.two_commas.txt", UInt8(ascii: ",")).get()
        #expect(agents.first?.fullName == "Bond, James, Jr.")
        #expect(agents.first?.pauseCode == "BRK2")
        #expect(agents.first?.sessionID == "8600053")
    }

    @Test func tabHeaderWithCRLFAndTrailingBlankLines() throws {
        let agents = try floor("logged_in_agents.tab.header.crlf.txt", 9).get()
        #expect(agents.count == 1)
        #expect(agents[0].subStatus == "PREVIEW")
        #expect(agents[0].leadID == 1_079_409)
        #expect(agents[0].pauseCode == "BRK2")
    }

    @Test func noLoggedInAgentsIsAnEmptyFloor() throws {
        #expect(try floor("logged_in_agents.none.txt").get() == [])
    }

    @Test(arguments: [
        ("logged_in_agents.permission.txt", PollFailure.Reason.permissionDenied),
        ("login_incorrect.txt", .loginIncorrect),
        ("locked_out.txt", .lockedOut),
        ("ip_blocked.txt", .ipBlocked),
        ("function_permission.txt", .permissionDenied),
        ("no_function.txt", .apiError),
        ("invalid_source.txt", .apiError),
        ("html_error_page.txt", .unparseable),
        ("truncated.txt", .unparseable),
        ("short_row.txt", .unparseable),
        ("bad_number.txt", .unparseable),
        ("agent_status.pipe.txt", .unparseable),
        ("version.txt", .unparseable),
    ])
    func failuresAreClassified(_ name: String, _ reason: PollFailure.Reason) throws {
        guard case .failure(let f) = try floor(name) else {
            Issue.record("\(name) parsed as a floor")
            return
        }
        #expect(f.reason == reason)
        #expect(!f.message.contains("s3cr3tpass"))
    }

    @Test func loginErrorTextIsRedactedEvenWhenVICIdialMangledThePassword() throws {
        // VICIdial strips characters such as ! and ' before echoing: the echo differs from the password.
        let body = Array("ERROR: Login incorrect, please try again: |apiuser|itsmypass|BAD|\n".utf8)
        guard case .failure(let f) = ResponseParser.loggedInAgents(body, delimiter: 124, password: "it's my pass!") else {
            Issue.record("not a failure"); return
        }
        #expect(f.reason == .loginIncorrect)
        #expect(f.message == "ERROR: Login incorrect, please try again: |apiuser|REDACTED|BAD|")
    }

    @Test func htmlPageMessageNamesTheTitle() throws {
        guard case .failure(let f) = try floor("html_error_page.txt") else { Issue.record("parsed"); return }
        #expect(f.message.contains("503 Service Unavailable"))
    }

    @Test func agentStatusRows() throws {
        let plain = ResponseParser.agentStatus(try Self.fixture("agent_status.pipe.txt"), agent: "6666", delimiter: 124, password: "p")
        guard case .success(.loggedIn(let a)) = plain else { Issue.record("\(plain)"); return }
        #expect(a.user == "6666")
        #expect(a.status == "INCALL")
        #expect(a.subStatus == "DEAD")
        #expect(a.pauseCode == "")
        #expect(a.leadID == 104)
        #expect(a.phoneNumber == "3125551212")
        #expect(a.vendorLeadCode == "123457")
        #expect(a.sessionID == "8600051")

        let noIP = ResponseParser.agentStatus(try Self.fixture("agent_status.header.no_ip.txt"), agent: "6666", delimiter: 124, password: "p")
        guard case .success(.loggedIn(let b)) = noIP else { Issue.record("13 fields under a 14-field header: \(noIP)"); return }
        #expect(b.sessionID == "8600051", "an old build's computer_ip column is read past, not kept")

        let csv = ResponseParser.agentStatus(try Self.fixture("agent_status.csv.header.ip.txt"), agent: "007", delimiter: 44, password: "p")
        guard case .success(.loggedIn(let c)) = csv else { Issue.record("\(csv)"); return }
        #expect(c.fullName == "Bond, James")
        #expect(c.pauseCode == "LUNCH")
        #expect(c.sessionID == "8600053", "the computer_ip column after it is read past")
        #expect(c.callsToday == 4)
    }

    @Test func agentStatusErrors() throws {
        #expect(ResponseParser.agentStatus(try Self.fixture("agent_status.not_logged_in.txt"), agent: "agent001", delimiter: 124, password: "p")
                == .success(.loggedOut))
        let notFound = ResponseParser.agentStatus(try Self.fixture("agent_status.not_found.txt"), agent: "nosuchuser", delimiter: 124, password: "p")
        #expect((try? notFound.get()) == nil)
        if case .failure(let f) = notFound { #expect(f.reason == .agentNotFound) }
        let invalid = ResponseParser.agentStatus(try Self.fixture("agent_status.invalid_search.txt"), agent: "", delimiter: 124, password: "p")
        if case .failure(let f) = invalid { #expect(f.reason == .apiError) } else { Issue.record("accepted") }
    }

    @Test func redactorMasksURLsAndLiterals() {
        let text = "GET http://h/vicidial/non_agent_api.php?user=u&pass=p%40ss&function=x failed; p@ss"
        let out = Redactor.redact(text, password: "p@ss")
        #expect(!out.contains("p@ss"))
        #expect(!out.contains("p%40ss"))
        #expect(out.contains("pass=REDACTED&function=x"))
    }
}

@Suite struct ResponseParserLimitTests {
    @Test func aGzipBodySaysSo() {
        let body: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]
        guard case .failure(let f) = ResponseParser.loggedInAgents(body, delimiter: 9, password: "p") else { Issue.record("parsed"); return }
        #expect(f.message.contains("gzip"))
        #expect(!f.message.contains("truncated?"))
    }

    @Test func twoFactorIsItsOwnFailureWithItsOwnAdvice() {
        let body = Array("ERROR: Login incorrect, please try again: |apiuser|apipass|2FA|\n".utf8)
        guard case .failure(let f) = ResponseParser.loggedInAgents(body, delimiter: 9, password: "apipass") else { Issue.record("parsed"); return }
        #expect(f.reason == .twoFactor)
        #expect(f.isCredentialProblem)
        #expect(f.advice.contains("two-factor"))
        #expect(!f.message.contains("apipass"))
    }

    @Test func aHugeFieldIsCutNotCopiedIntoEvents() throws {
        let name = String(repeating: "N", count: 5_000_000)
        let body = Array("agent001|SALES|8600051|READY|0||0|\(name)|AGENTS|1|LOGIN|\n".utf8)
        let agents = try ResponseParser.loggedInAgents(body, delimiter: UInt8(ascii: "|"), password: "p").get()
        #expect(agents.first?.fullName.utf8.count == 256)
        #expect(agents.first?.userGroup == "AGENTS")
    }
}
