import Foundation

/// An HTTP answer of the simulator.
struct Reply: Sendable {
    var status: Int = 200
    var contentType = "text/html; charset=utf-8"
    var body: [UInt8] = []
    var delayMilliseconds = 0
    /// Close the connection instead of answering.
    var drop = false

    init(status: Int = 200, contentType: String = "text/html; charset=utf-8", text: String) {
        self.status = status
        self.contentType = contentType
        body = Array(text.utf8)
    }
}

/// `non_agent_api.php`: the bytes VICIdial 2.14 answers for `version`, `logged_in_agents` and
/// `agent_status`, including every error line.
enum NonAgentAPI {
    static let agentStatusHeader = ["status", "callerid", "lead_id", "campaign_id", "calls_today", "full_name",
                                    "user_group", "user_level", "pause_code", "real_time_sub_status", "phone_number",
                                    "vendor_lead_code", "session_id"]

    static func answer(_ p: [String: String], floor: inout Floor, now: Date) -> Reply {
        let function = p["function"] ?? ""
        floor.requests[function.isEmpty ? "(none)" : function, default: 0] += 1
        if let index = floor.faults.firstIndex(where: { $0.function == nil || $0.function == function }) {
            var fault = floor.faults[index]
            if let r = fault.remaining {
                fault.remaining = r - 1
                if r <= 1 { floor.faults.remove(at: index) } else { floor.faults[index] = fault }
            }
            if fault.drop { var r = Reply(text: ""); r.drop = true; return r }
            var reply: Reply
            if fault.html {
                reply = Reply(status: fault.status, text:
                    "<html><head><title>Service Unavailable</title></head><body><h1>Please log in</h1></body></html>\n")
            } else if let body = fault.body {
                reply = Reply(status: fault.status, text: body)
            } else if fault.status != 200 {
                reply = Reply(status: fault.status, text: "")
            } else {
                reply = normal(p, function: function, floor: &floor, now: now)
            }
            reply.delayMilliseconds = fault.delayMilliseconds
            return reply
        }
        return normal(p, function: function, floor: &floor, now: now)
    }

    /// VICIdial's order of checks: `version` and the coffee functions need no login; then the login
    /// (before the source and function checks), the IP list after a correct password, then the source,
    /// the function's permission and the function itself.
    private static func normal(_ p: [String: String], function: String, floor: inout Floor, now: Date) -> Reply {
        if function == "version" {
            let epoch = Int(now.timeIntervalSince1970)
            let f = DateFormatter()
            f.dateFormat = "yyyy-MM-dd HH:mm:ss"
            f.timeZone = TimeZone(secondsFromGMT: -5 * 3600)
            return Reply(text: "VERSION: 2.14-202|BUILD: 250720-1841|DATE: \(f.string(from: now))|EPOCH: \(epoch)|DST: 0|TZ: -5.00|TZNOW: -5.00|\n")
        }
        if ["coffee", "start_coffee", "stop_coffee", "coffee_break"].contains(function) {
            return Reply(status: 418, text: "Coffee: \(function)|Error 418 I'm a teapot")
        }
        let user = SimAccount.stripped(p["user"] ?? "")
        let pass = SimAccount.stripped(p["pass"] ?? "")
        guard var account = floor.accounts[user] else {
            return Reply(text: "ERROR: Login incorrect, please try again: |\(user)|\(pass)|BAD|\n")  // not counted
        }
        let outcome = account.login(password: pass, at: now)
        floor.accounts[user] = account
        switch outcome {
        case .locked: return Reply(text: "ERROR: Too many login attempts, try again in 15 minutes: |\(user)|LOCK|\n")
        case .twoFactor: return Reply(text: "ERROR: Login incorrect, please try again: |\(user)|\(pass)|2FA|\n")
        case .bad:
            floor.failedLogins += 1
            return Reply(text: "ERROR: Login incorrect, please try again: |\(user)|\(pass)|BAD|\n")
        case .ok: break
        }
        if account.ipBlocked { return Reply(text: "ERROR: Your IP Address is not allowed: 127.0.0.1: ||IPBLOCK|\n") }
        let source = SimAccount.strippedSource(p["source"] ?? "")
        if source.count < 2 {
            return Reply(text: "ERROR: Invalid Source - \(source)\nERROR: Invalid Source: |\(source)|\n")
        }
        if let allowed = account.allowedFunctions, !allowed.contains(function) {
            return Reply(text: "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |\(user)|\(function)|\n")
        }
        switch function {
        case "logged_in_agents": return loggedInAgents(p, account: account, floor: floor)
        case "agent_status": return agentStatus(p, account: account, floor: floor)
        case "in_group_status": return inGroupStatus(p, floor: floor)
        default: return Reply(text: "ERROR: NO FUNCTION SPECIFIED\n")
        }
    }

    private static func delimiter(_ p: [String: String]) -> String {
        switch p["stage"] {
        case "csv": ","
        case "tab": "\t"
        default: "|"
        }
    }

    /// One aggregate row for the listed in-groups (`in_groups`, pipe-separated), as non_agent_api.php
    /// prints it; an unknown in-group is an error naming it.
    private static func inGroupStatus(_ p: [String: String], floor: Floor) -> Reply {
        let ids = (p["in_groups"] ?? "").split(separator: "|").map(String.init)
        guard !ids.isEmpty else { return Reply(text: "ERROR: in_group_status INVALID IN-GROUP - \n") }
        if let unknown = ids.first(where: { floor.queues[$0] == nil }) {
            return Reply(text: "ERROR: in_group_status INVALID IN-GROUP - \(unknown)\n")
        }
        let d = delimiter(p)
        let head = p["header"] == "YES" ? SimQueue.columns.joined(separator: d) + "\n" : ""
        return Reply(text: head + SimQueue.statusRow(ids.compactMap { floor.queues[$0] }, ids: ids.joined(separator: "|"),
                                                     agents: floor.loggedIn, delimiter: d))
    }

    private static func loggedInAgents(_ p: [String: String], account: SimAccount, floor: Floor) -> Reply {
        let user = account.user
        guard account.viewReports else {
            return Reply(text: "ERROR: logged_in_agents USER DOES NOT HAVE PERMISSION TO GET AGENT INFO: |\(user)|0|\n")
        }
        let d = delimiter(p)
        let subStatus = p["show_sub_status"] == "YES"
        let campaigns = (p["campaigns"] ?? "").split(separator: "|").map(String.init)
        let groups = (p["user_groups"] ?? "").split(separator: "|").map(String.init)
        let rows = floor.shownRows().filter { row in
            let a = row.agent
            return (campaigns.isEmpty || campaigns.contains(a.campaignID)) && (groups.isEmpty || groups.contains(a.userGroup))
                && (account.allowedCampaigns?.contains(a.campaignID) ?? true)
                && (account.viewableGroups?.contains(a.userGroup) ?? true)
        }
        if rows.isEmpty { return Reply(text: "ERROR: logged_in_agents NO LOGGED IN AGENTS: \(user)|\(p["agent_user"] ?? "")\n") }
        return Reply(text: VICIdialText.render(rows, delimiter: d, header: p["header"] == "YES", subStatus: subStatus))
    }

    private static func agentStatus(_ p: [String: String], account: SimAccount, floor: Floor) -> Reply {
        let user = account.user
        guard account.viewReports else {
            return Reply(text: "ERROR: agent_status USER DOES NOT HAVE PERMISSION TO GET AGENT INFO: |\(user)|0|\n")
        }
        let agent = SimAccount.stripped(p["agent_user"] ?? "")
        if agent.isEmpty { return Reply(text: "ERROR: agent_status INVALID SEARCH PARAMETERS: \(user)|\n") }
        // admin_viewable_groups applies to the user's current group; allowed_campaigns does not apply here.
        guard let known = floor.users[agent], account.viewableGroups?.contains(known.userGroup) ?? true else {
            return Reply(text: "ERROR: agent_status AGENT NOT FOUND: \(user)|\(agent)\n")
        }
        guard let row = floor.shownRows().first(where: { $0.agent.user == agent }) else {
            return Reply(text: "ERROR: agent_status AGENT NOT LOGGED IN: \(user)|\(agent)\n")
        }
        let d = delimiter(p)
        let a = row.agent
        var out = ""
        // include_ip=YES: the column is in the header; a row has it only for a login record older than two
        // days, which the simulator never has.
        let ip = p["include_ip"] == "YES" ? ["computer_ip"] : []
        if p["header"] == "YES" { out += (agentStatusHeader + ip).joined(separator: d) + "\n" }
        let f = [a.status, a.callerID, String(row.leadID), a.campaignID, String(a.callsToday), a.fullName, a.userGroup,
                 String(a.userLevel), a.pauseCode, row.subStatus, a.phoneNumber, a.vendorLeadCode, a.sessionID]
        out += f.joined(separator: d) + "\n"
        return Reply(text: out)
    }
}

/// Renders rows exactly as VICIdial prints them. Public so benchmarks can build large floors.
public enum VICIdialText {
    static let loggedInHeader = ["user", "campaign_id", "session_id", "status", "lead_id", "callerid", "calls_today",
                                 "full_name", "user_group", "user_level"]

    /// A `logged_in_agents` body for these rows (not the `NO LOGGED IN AGENTS` error: `rows` must not be
    /// empty), sub-statuses derived among the rows themselves.
    public static func loggedInAgents(_ rows: [SimAgent], delimiter d: String, header: Bool, subStatus: Bool) -> String {
        let byLead = rows.reduce(into: [Int64: Int]()) { if $1.status == "INCALL", $1.leadID > 0 { $0[$1.leadID, default: 0] += 1 } }
        return render(rows.map { a in
            let s = a.shown(sharingLead: byLead[a.leadID] ?? 0)
            return (a, s.subStatus, s.leadID)
        }, delimiter: d, header: header, subStatus: subStatus)
    }

    static func render(_ rows: [(agent: SimAgent, subStatus: String, leadID: Int64)], delimiter d: String, header: Bool,
                       subStatus: Bool) -> String {
        var out = ""
        if header {
            out += (loggedInHeader + (subStatus ? ["pause_code", "sub_status"] : [])).joined(separator: d) + "\n"
        }
        for (a, sub, shownLead) in rows {
            // Without show_sub_status VICIdial does not look up the preview lead.
            let lead = (sub == "PREVIEW" && !subStatus) ? 0 : shownLead
            var f = [a.user, a.campaignID, a.sessionID, a.status, String(lead), a.callerID, String(a.callsToday),
                     a.fullName, a.userGroup, String(a.userLevel)]
            if subStatus { f += [a.pauseCode, sub] }
            out += f.joined(separator: d) + "\n"
        }
        return out
    }
}
