import MariaDB
import VicinotifyCore

/// One row of `FloorQuery` as the agent state events carry (the API's status, sub-status, pause code and
/// lead, as `logged_in_agents` derives them) plus what only the database knows: `live_agent_id`, the
/// report's call letter and clock.
struct DatabaseRow {
    var state: AgentState
    /// `vicidial_live_agents.last_update_time` (epoch seconds): the agent's screen writes it every second.
    var lastUpdate: Int64?
    /// The database's `NOW()` (epoch seconds).
    var databaseNow: Int64?
    var callsTotal: Int

    /// A result's fields by column name: `""` or `nil` when the column is missing or NULL.
    struct Columns {
        let index: [String: Int]
        init(_ result: MariaDBResult) { index = result.columnIndex }
        func text(_ row: [String?], _ name: String) -> String { index[name].flatMap { row[$0] } ?? "" }
        func int(_ row: [String?], _ name: String) -> Int64? { index[name].flatMap { row[$0] }.flatMap { Int64($0) } }
    }

    init(_ row: [String?], columns c: Columns) {
        let status = c.text(row, "status")
        let dbNow = c.int(row, "db_now")
        // rt_seconds is NOW() minus the clock's start, so the start is exact whatever the lag.
        let since = dbNow.flatMap { now in c.int(row, "rt_seconds").map { Timestamp(millisecondsSince1970: (now - max(0, $0)) * 1000) } }
        state = AgentState(
            user: c.text(row, "user"), status: status, subStatus: c.text(row, "api_sub_status"),
            pauseCode: c.text(row, "api_pause_code"), leadID: c.int(row, "api_lead_id") ?? 0, callerID: c.text(row, "callerid"),
            campaignID: c.text(row, "campaign_id"), sessionID: c.text(row, "session_id"),
            callsToday: Int(c.int(row, "calls_today") ?? 0), fullName: c.text(row, "full_name"), userGroup: c.text(row, "user_group"),
            userLevel: Int(c.int(row, "user_level") ?? 1), liveAgentID: c.int(row, "live_agent_id"),
            callTypeLetter: c.text(row, "rt_call_type"), reportedSince: since,
            inGroups: c.index["in_groups"].map { i in (row[i] ?? "").split(separator: " ").map(String.init) })
        lastUpdate = c.int(row, "last_update_time")
        databaseNow = dbNow
        callsTotal = Int(c.int(row, "calls_total") ?? 0)
    }
}
