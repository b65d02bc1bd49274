import Foundation
import MariaDB

/// Writes the simulated floor into VICIdial's tables (`share/vicidial-tables.sql`) as VICIdial's own code
/// leaves them, so that the database source reads the same floor the simulated API serves: live rows with
/// `comments` from the call's kind, a call row per live call (none when the customer hung up, no
/// uniqueid or channel while a manual dial rings), a parked-channel row, a chat whose customer left.
/// Each sync rewrites the tables under `LOCK TABLES`, so a reader never sees half a floor.
actor FloorMirror {
    private let client: MariaDBClient
    /// Per user: the live row's id, the session it belongs to, and the clocks VICIdial keeps.
    private struct Memory {
        var liveAgentID: Int64
        var sessionID: String
        var stateKey: String
        var lastStateChange: Date
        var callKey: String
        var lastCallTime: Date
    }
    private var memory: [String: Memory] = [:]
    private var nextID: Int64 = 1
    private var synced = -1

    init(_ options: MariaDBConnectionOptions) { client = MariaDBClient(options) }

    static let tables = ["vicidial_live_agents", "vicidial_users", "vicidial_agent_log", "vicidial_auto_calls", "parked_channels",
                         "vicidial_live_chats", "vicidial_chat_log", "vicidial_inbound_groups", "vicidial_live_inbound_agents",
                         "vicidial_campaigns", "vicidial_campaign_stats"]

    /// Writes `agents` (the logged-in rows) if the floor's `version` moved since the last sync.
    func sync(_ agents: [SimAgent], users: [SimAgent], queues: [SimQueue] = [], version: Int, now: Date = Date()) async throws {
        guard version != synced else { return }
        var live: [String] = [], calls: [String] = [], parked: [String] = [], chats: [String] = [], chatLog: [String] = []
        var seen: Set<String> = []
        for a in agents where seen.insert(a.user).inserted {
            let m = remember(a, now: now)
            let comments = Self.comments(a)
            let ring = a.ringing ? "S" + String(repeating: "0", count: 19) : ""
            live.append("(\(m.liveAgentID), \(q(a.user)), \(q(a.sessionID)), \(q(a.status)), \(a.leadID), \(a.previewLeadID), \(q(a.campaignID)), "
                        + "\(q(a.callerID)), \(q(comments)), \(a.callsToday), \(m.liveAgentID), \(q(a.ringing ? "Y" : "N")), \(q(ring)), "
                        + "FROM_UNIXTIME(\(Int(m.lastStateChange.timeIntervalSince1970))), FROM_UNIXTIME(\(Int(m.lastCallTime.timeIntervalSince1970))))")
            guard a.status == "INCALL", !a.callerID.isEmpty || a.channel != "call" else { continue }
            if a.channel == "call", !a.customerGone {
                let dialing = a.dialing
                calls.append("(\(q(a.campaignID)), 'XFER', \(a.leadID), \(q(dialing ? "" : "\(m.liveAgentID).1")), \(q(a.callerID)), "
                             + "\(q(dialing ? "" : "SIP/sim-\(m.liveAgentID)")), NOW(), 'OUT')")
            }
            if a.parked { parked.append("(\(q("SIP/park-\(m.liveAgentID)")), '127.0.0.1', \(q(a.callerID)), NOW())") }
            if a.channel == "chat", a.customerGone {
                chats.append("(\(m.liveAgentID), \(q(a.user)), \(a.leadID), NOW())")
                chatLog.append("(\(q(String(m.liveAgentID))), 'The customer has left chat')")
            }
        }
        memory = memory.filter { seen.contains($0.key) }
        // In-groups: their waiting calls, and every logged-in agent takes every one (as the simulator has it).
        for (n, queue) in queues.enumerated() {
            for (i, arrival) in queue.waiting.enumerated() {
                let callerID = "Y9" + String(format: "%04d%014d", n, i)  // a waiting call's own 20-character id
                calls.append("(\(q(queue.id)), 'LIVE', 0, '', \(q(callerID)), '', FROM_UNIXTIME(\(Int(arrival.timeIntervalSince1970))), 'IN')")
            }
        }
        let groups = queues.map { "(\(q($0.id)), \(q($0.name)), \(Int(SimQueue.serviceLevelSeconds)))" }
        let stats = queues.map { "(\(q($0.id)), \($0.offered), \($0.answered), \($0.dropped), \($0.answeredWithinServiceLevel))" }
        let closers = q(queues.map(\.id).sorted().map { $0 + " " }.joined() + "-")
        let members = queues.flatMap { g in seen.sorted().map { "(\(q($0)), \(q(g.id)))" } }
        let campaigns = Set(agents.map(\.campaignID)).sorted().map { "(\(q($0)), \(q($0 + " campaign")), \(closers))" }
        let userRows = users.map { "(\(q($0.user)), \(q($0.fullName)), \(q($0.userGroup)), \($0.userLevel), 'sim')" }
        let logRows = agents.filter { memory[$0.user] != nil }.map { "(\(memory[$0.user]!.liveAgentID), \(q($0.user)), \(q($0.pauseCode)))" }
        var statements = ["LOCK TABLES " + Self.tables.map { "\($0) WRITE" }.joined(separator: ", ")]
        statements += Self.tables.map { "DELETE FROM \($0)" }
        func insert(_ head: String, _ rows: [String]) { if !rows.isEmpty { statements.append(head + " VALUES " + rows.joined(separator: ", ")) } }
        insert("INSERT INTO vicidial_users (user, full_name, user_group, user_level, pass)", userRows)
        insert("INSERT INTO vicidial_agent_log (agent_log_id, user, sub_status)", logRows)
        insert("INSERT INTO vicidial_live_agents (live_agent_id, user, conf_exten, status, lead_id, preview_lead_id, campaign_id, callerid, "
               + "comments, calls_today, agent_log_id, on_hook_agent, ring_callerid, last_state_change, last_call_time)", live)
        insert("INSERT INTO vicidial_auto_calls (campaign_id, status, lead_id, uniqueid, callerid, channel, call_time, call_type)", calls)
        insert("INSERT INTO parked_channels (channel, server_ip, channel_group, parked_time)", parked)
        insert("INSERT INTO vicidial_live_chats (chat_id, chat_creator, lead_id, chat_start_time)", chats)
        insert("INSERT INTO vicidial_chat_log (chat_id, message)", chatLog)
        insert("INSERT INTO vicidial_inbound_groups (group_id, group_name, answer_sec_pct_rt_stat_one)", groups)
        insert("INSERT INTO vicidial_campaign_stats (campaign_id, calls_today, answers_today, drops_today, hold_sec_stat_one)", stats)
        insert("INSERT INTO vicidial_live_inbound_agents (user, group_id)", members)
        insert("INSERT INTO vicidial_campaigns (campaign_id, campaign_name, closer_campaigns)", campaigns)
        statements.append("UNLOCK TABLES")
        do {
            for s in statements { _ = try await client.query(s) }
        } catch {
            _ = try? await client.query("UNLOCK TABLES")
            throw error
        }
        synced = version
    }

    /// The row's id and clocks: a new id for a fresh login (absent last sync, or a new room that looks
    /// like one), the state clock reset on a status change, the call clock on a new call.
    private func remember(_ a: SimAgent, now: Date) -> Memory {
        let stateKey = a.status
        let callKey = "\(a.leadID)|\(a.callerID)"
        var m: Memory
        if let old = memory[a.user], old.sessionID == a.sessionID || !(a.status == "PAUSED" && a.leadID == 0 && a.pauseCode == "LOGIN") {
            m = old
            m.sessionID = a.sessionID
        } else {
            m = Memory(liveAgentID: nextID, sessionID: a.sessionID, stateKey: stateKey, lastStateChange: now, callKey: callKey, lastCallTime: now)
            nextID += 1
        }
        if m.stateKey != stateKey { m.stateKey = stateKey; m.lastStateChange = now }
        if m.callKey != callKey { m.callKey = callKey; m.lastCallTime = now }
        memory[a.user] = m
        return m
    }

    /// `vicidial_live_agents.comments` as the agent screen writes it for the call's kind.
    static func comments(_ a: SimAgent) -> String {
        guard a.status == "INCALL" else { return "" }
        switch a.channel {
        case "email": return "EMAIL"
        case "chat": return "CHAT"
        default:
            switch a.callerID.first {
            case "Y": return "INBOUND"
            case "M": return "MANUAL"
            default: return "AUTO"
            }
        }
    }

    private func q(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }
}
