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

    private static func normal(_ p: [String: String], function: String, floor: inout Floor, now: Date) -> Reply {
        if function == "version" {
            let epoch = Int(now.timeIntervalSince1970)
            let f = DateFormatter()
            f.dateFormat = "yyyy-MM-dd HH:mm:ss"
            f.timeZone = TimeZone(secondsFromGMT: -5 * 3600)
            return Reply(text: "VERSION: 2.14-202|BUILD: 250720-1841|DATE: \(f.string(from: now))|EPOCH: \(epoch)|DST: 0|TZ: -5.00|TZNOW: -5.00|\n")
        }
        let source = String((p["source"] ?? "").unicodeScalars.filter { CharacterSet(charactersIn: "-_").contains($0) || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) })
        if source.count < 2 {
            return Reply(text: "ERROR: Invalid Source - \(source)\nERROR: Invalid Source: |\(source)|\n")
        }
        if function == "coffee" { return Reply(status: 418, text: "I'm a teapot\n") }
        let user = p["user"] ?? ""
        let pass = stripped(p["pass"] ?? "")
        let auth = floor.auth
        if auth.ipBlocked { return Reply(text: "ERROR: Your IP Address is not allowed: 127.0.0.1: ||IPBLOCK|\n") }
        if let until = floor.lockedUntil, now < until {
            return Reply(text: "ERROR: Too many login attempts, try again in 15 minutes: |\(user)|LOCK|\n")
        }
        floor.lockedUntil = nil
        guard user == auth.user, pass == stripped(auth.password), auth.userLevel >= 7 else {
            floor.failedLogins += 1
            if floor.failedLogins > 10 {
                floor.lockedUntil = now.addingTimeInterval(15 * 60)
                return Reply(text: "ERROR: Too many login attempts, try again in 15 minutes: |\(user)|LOCK|\n")
            }
            return Reply(text: "ERROR: Login incorrect, please try again: |\(user)|\(pass)|BAD|\n")
        }
        floor.failedLogins = 0
        if let allowed = auth.allowedFunctions, !allowed.contains(function) {
            return Reply(text: "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |\(user)|\(function)|\n")
        }
        switch function {
        case "logged_in_agents": return loggedInAgents(p, floor: floor)
        case "agent_status": return agentStatus(p, floor: floor)
        default: return Reply(text: "ERROR: NO FUNCTION SPECIFIED\n")
        }
    }

    /// VICIdial removes these from `pass` before checking it, and echoes what is left.
    private static func stripped(_ pass: String) -> String { pass.filter { !"'\";! \\`".contains($0) } }

    private static func delimiter(_ p: [String: String]) -> String {
        switch p["stage"] {
        case "csv": ","
        case "tab": "\t"
        default: "|"
        }
    }

    private static func loggedInAgents(_ p: [String: String], floor: Floor) -> Reply {
        let user = floor.auth.user
        guard floor.auth.viewReports else {
            return Reply(text: "ERROR: logged_in_agents USER DOES NOT HAVE PERMISSION TO GET AGENT INFO: |\(user)|0|\n")
        }
        let d = delimiter(p)
        let subStatus = p["show_sub_status"] == "YES"
        let campaigns = (p["campaigns"] ?? "").split(separator: "|").map(String.init)
        let groups = (p["user_groups"] ?? "").split(separator: "|").map(String.init)
        let rows = floor.loggedIn.filter {
            (campaigns.isEmpty || campaigns.contains($0.campaignID)) && (groups.isEmpty || groups.contains($0.userGroup))
        }
        if rows.isEmpty { return Reply(text: "ERROR: logged_in_agents NO LOGGED IN AGENTS: \(user)|\n") }
        let out = VICIdialText.loggedInAgents(rows, delimiter: d, header: p["header"] == "YES", subStatus: subStatus)
        return Reply(text: out)
    }

    private static func agentStatus(_ p: [String: String], floor: Floor) -> Reply {
        let user = floor.auth.user
        guard floor.auth.viewReports else {
            return Reply(text: "ERROR: agent_status USER DOES NOT HAVE PERMISSION TO GET AGENT INFO: |\(user)|0|\n")
        }
        let agent = p["agent_user"] ?? ""
        if agent.isEmpty { return Reply(text: "ERROR: agent_status INVALID SEARCH PARAMETERS: \(user)|\n") }
        guard floor.users[agent] != nil else { return Reply(text: "ERROR: agent_status AGENT NOT FOUND: \(user)|\(agent)\n") }
        guard let a = floor.loggedIn.first(where: { $0.user == agent }) else {
            return Reply(text: "ERROR: agent_status AGENT NOT LOGGED IN: \(user)|\(agent)\n")
        }
        let d = delimiter(p)
        let ip = p["include_ip"] == "YES"
        var out = ""
        if p["header"] == "YES" { out += (agentStatusHeader + (ip ? ["computer_ip"] : [])).joined(separator: d) + "\n" }
        var f = [a.status, a.callerID, String(a.leadID), a.campaignID, String(a.callsToday), a.fullName, a.userGroup,
                 String(a.userLevel), a.pauseCode, a.subStatus, a.phoneNumber, a.vendorLeadCode, a.sessionID]
        if ip, let addr = a.computerIP { f.append(addr) }
        out += f.joined(separator: d) + "\n"
        return Reply(text: out)
    }
}

/// Renders rows exactly as VICIdial prints them. Public so benchmarks can build large floors.
public enum VICIdialText {
    static let loggedInHeader = ["user", "campaign_id", "session_id", "status", "lead_id", "callerid", "calls_today",
                                 "full_name", "user_group", "user_level"]

    /// A `logged_in_agents` body for these rows (not the `NO LOGGED IN AGENTS` error: `rows` must not be empty).
    public static func loggedInAgents(_ rows: [SimAgent], delimiter d: String, header: Bool, subStatus: Bool) -> String {
        var out = ""
        if header {
            out += (loggedInHeader + (subStatus ? ["pause_code", "sub_status"] : [])).joined(separator: d) + "\n"
        }
        for a in rows {
            let lead = (a.subStatus == "PREVIEW" && !subStatus) ? 0 : a.leadID
            var f = [a.user, a.campaignID, a.sessionID, a.status, String(lead), a.callerID, String(a.callsToday),
                     a.fullName, a.userGroup, String(a.userLevel)]
            if subStatus { f += [a.pauseCode, a.subStatus] }
            out += f.joined(separator: d) + "\n"
        }
        return out
    }
}
