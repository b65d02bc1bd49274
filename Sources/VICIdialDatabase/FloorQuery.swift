/// The database source's statement: Q1 of the spec (`vicidial-db-source.md`), tested field for field against
/// `non_agent_api.php` 2.14-202 and `AST_timeonVDADall.php`, plus `user_level` and the number of live
/// calls (`calls_total`, to notice MEMORY tables emptied by a replica restart). One row per logged-in agent:
/// the raw facts, the API's derivation (`api_*`), the report's (`rt_*`) and exact epoch times. Without the
/// report's pause-code rule, the one costly part (Q1 "without `rt_pause_code`": 90 ms instead of 515 at
/// 5,000 agents): events carry the API's pause code, the agent's own `agent_log` row.
enum FloorQuery {
    static let sql = """
        SELECT g.user, g.full_name, g.user_group, g.campaign_id, g.session_id, g.live_agent_id, g.status, g.api_sub_status, g.api_pause_code,
          g.api_lead_id, g.callerid, g.calls_today, g.rt_status, g.rt_call_type, IF(g.rt_status = 'PAUSED', g.rt_pause_code, '') AS rt_pause_code,
          g.db_now - CASE WHEN g.rt_status IN ('EMAIL','CHAT') THEN g.last_call_time
                          WHEN g.rt_status REGEXP 'INCALL|DIAL|QUEUE|PARK|3-WAY' = 0 THEN g.last_state_change
                          WHEN g.rt_status LIKE '3-WAY%' THEN g.threeway_latest ELSE g.last_call_time END AS rt_seconds,
          g.user_hide_realtime AS rt_hidden_user, IF(g.rt_call_type = 'I' AND g.ig_group_id IS NOT NULL,
             CONCAT(g.ig_group_id, ' - ', g.ig_group_name, ' hold ', SUBSTRING_INDEX(g.ig_stage, '-', -1)), '') AS rt_ingroup,
          g.last_state_change, g.last_call_time, g.last_update_time, g.db_now, g.user_level,
          (SELECT COUNT(auto_call_id) FROM vicidial_auto_calls) AS calls_total /*IN_GROUPS*/
        FROM (SELECT f.*,
          CASE  -- API sub_status (non_agent_api.php:13135-13212): later PHP rules win, so they are tested first
            WHEN f.status='INCALL' AND f.parked > 0 THEN 'PARK'
            WHEN f.status='INCALL' AND f.comments LIKE '%CHAT%' AND f.chat_left > 0 THEN 'DEAD'
            WHEN f.status='INCALL' AND f.comments NOT LIKE '%CHAT%' AND f.comments NOT LIKE '%EMAIL%' AND f.vac_n = 0 THEN 'DEAD'
            WHEN f.status='INCALL' AND BINARY f.comments = 'MANUAL' AND CHAR_LENGTH(f.vac_uniqueid) < 5 AND CHAR_LENGTH(f.vac_channel) < 5 THEN 'DIAL'
            WHEN f.status='INCALL' AND f.lead_id > 0 AND f.incall_on_lead > 1 THEN '3-WAY'
            WHEN f.status='PAUSED' AND f.preview_lead_id > 0 THEN 'PREVIEW'
            WHEN f.status='PAUSED' AND f.lead_id > 0 THEN 'DISPO'
            WHEN f.on_hook_agent='Y' AND LENGTH(f.ring_callerid) > 18 THEN 'RING' ELSE '' END AS api_sub_status,
          IF(f.status='PAUSED' AND f.preview_lead_id > 0, f.preview_lead_id, f.lead_id) AS api_lead_id,
          IF(f.s1 IN ('INCALL','3-WAY'), CASE WHEN f.comments LIKE '%AUTO%' OR f.comments = '' THEN 'A'   -- the report's letter
               WHEN f.comments LIKE '%INBOUND%' THEN 'I' WHEN f.comments LIKE '%EMAIL%' THEN 'E' ELSE 'M' END, '') AS rt_call_type,
          CASE  -- the report's STATUS column (AST_timeonVDADall.php:3554-4064)
            WHEN f.s1 IN ('READY','PAUSED') AND f.lead_id > 0 THEN 'DISPO'
            WHEN f.s1 = 'INCALL' THEN CASE
              WHEN f.parked > 0 THEN IF(BINARY f.comments='CHAT', 'CHAT', IF(BINARY f.comments='EMAIL', 'EMAIL', 'PARK'))
              WHEN f.comments LIKE '%CHAT%' AND f.chat_left > 0 THEN 'DEAD'
              WHEN f.rt_live = 0 AND f.comments NOT LIKE '%EMAIL%' AND f.comments NOT LIKE '%CHAT%' THEN 'DEAD'
              WHEN BINARY f.comments='MANUAL' AND CHAR_LENGTH(f.vac_uniqueid) < 5 AND CHAR_LENGTH(f.vac_channel) < 5 AND f.vac_n > 0 THEN 'DIAL'
              WHEN BINARY f.comments='CHAT' THEN 'CHAT' WHEN BINARY f.comments='EMAIL' THEN 'EMAIL' ELSE 'INCALL' END
            WHEN f.s1 = '3-WAY' AND f.rt_live = 0 AND f.comments NOT LIKE '%EMAIL%' AND f.comments NOT LIKE '%CHAT%' THEN '3-WAYD'
            ELSE f.s1 END AS rt_status
        FROM (SELECT la.user, u.full_name, u.user_group, u.user_level, u.user_hide_realtime, la.campaign_id, la.conf_exten AS session_id, la.live_agent_id,
            la.status, la.lead_id, la.preview_lead_id, COALESCE(la.callerid,'') AS callerid, la.calls_today, COALESCE(la.comments,'') AS comments,
            la.on_hook_agent, la.ring_callerid, la.agent_log_id, COALESCE(al.sub_status,'') AS api_pause_code,
            '' AS rt_pause_code,  -- the report's rule reads each paused user's whole agent_log (515 ms at 5,000 agents): the API's code is used
            COALESCE(tw.n,0) AS incall_on_lead, tw.latest AS threeway_latest, COALESCE(pk.n,0) AS parked,
            COALESCE(vc.n,0) AS vac_n, COALESCE(v1.uniqueid,'') AS vac_uniqueid, COALESCE(v1.channel,'') AS vac_channel,
            CASE WHEN vc.n > 0 THEN 1   -- report: "some call's callerid ENDS with mine": equality for a 20-char id, true for '' if any call
                 WHEN CHAR_LENGTH(COALESCE(la.callerid,'')) >= 20 THEN 0
                 ELSE EXISTS (SELECT 1 FROM vicidial_auto_calls v WHERE BINARY RIGHT(COALESCE(v.callerid,''),
                              CHAR_LENGTH(COALESCE(la.callerid,''))) = COALESCE(la.callerid,'')) END AS rt_live,
            IF(la.comments LIKE '%CHAT%', (SELECT COUNT(*) FROM vicidial_chat_log cl WHERE cl.message LIKE '%has left chat' AND cl.chat_id =
                (SELECT lc.chat_id FROM vicidial_live_chats lc WHERE lc.chat_creator = CONVERT(la.user USING utf8mb3) COLLATE utf8mb3_unicode_ci
                 AND lc.lead_id = la.lead_id ORDER BY lc.chat_start_time DESC LIMIT 1)), 0) AS chat_left,
            CASE WHEN COALESCE(tw.n,0) > 1 AND la.lead_id <> 0 THEN '3-WAY'
                 WHEN la.on_hook_agent='Y' AND LENGTH(la.ring_callerid) > 18 THEN 'RING' ELSE la.status END AS s1,
            ig.group_id AS ig_group_id, ig.group_name AS ig_group_name, igv.stage AS ig_stage,
            UNIX_TIMESTAMP(la.last_state_change) AS last_state_change, UNIX_TIMESTAMP(la.last_call_time) AS last_call_time,
            UNIX_TIMESTAMP(la.last_update_time) AS last_update_time, UNIX_TIMESTAMP() AS db_now
          FROM vicidial_live_agents la
          JOIN vicidial_users u ON u.user = la.user
          LEFT JOIN vicidial_agent_log al ON al.agent_log_id = la.agent_log_id AND al.user = la.user
          LEFT JOIN (SELECT lead_id, COUNT(*) AS n, UNIX_TIMESTAMP(MAX(last_call_time)) AS latest FROM vicidial_live_agents
                     WHERE status='INCALL' GROUP BY lead_id) tw ON tw.lead_id = la.lead_id
          LEFT JOIN (SELECT channel_group, COUNT(*) AS n FROM parked_channels GROUP BY channel_group) pk ON pk.channel_group = COALESCE(la.callerid,'')
          LEFT JOIN (SELECT callerid, COUNT(*) AS n, MIN(auto_call_id) AS first_id FROM vicidial_auto_calls GROUP BY callerid) vc
                 ON vc.callerid = COALESCE(la.callerid,'')
          LEFT JOIN vicidial_auto_calls v1 ON v1.auto_call_id = vc.first_id
          LEFT JOIN (SELECT vac.callerid, MIN(vac.auto_call_id) AS id FROM vicidial_auto_calls vac
                     JOIN vicidial_inbound_groups vig ON vig.group_id = vac.campaign_id GROUP BY vac.callerid) igk ON igk.callerid = la.callerid
          LEFT JOIN vicidial_auto_calls igv ON igv.auto_call_id = igk.id
          LEFT JOIN vicidial_inbound_groups ig ON ig.group_id = igv.campaign_id
        ) f) g;
        """

    /// The columns Q1 reads, by table: checked in `information_schema.COLUMNS` (which lists only the
    /// columns the user may read) before the first poll, so an older schema or a missing grant is named.
    static let columns: [String: [String]] = [
        "vicidial_live_agents": ["live_agent_id", "user", "conf_exten", "status", "lead_id", "campaign_id", "callerid",
                                 "last_call_time", "last_update_time", "comments", "calls_today", "agent_log_id",
                                 "last_state_change", "on_hook_agent", "ring_callerid", "preview_lead_id"],
        "vicidial_users": ["user", "full_name", "user_group", "user_level", "user_hide_realtime"],
        "vicidial_agent_log": ["agent_log_id", "user", "sub_status"],
        "vicidial_auto_calls": ["auto_call_id", "campaign_id", "callerid", "uniqueid", "channel"],
        "parked_channels": ["channel_group"],
        "vicidial_inbound_groups": ["group_id", "group_name"],
        "vicidial_live_chats": ["chat_id", "chat_creator", "lead_id", "chat_start_time"],
        "vicidial_chat_log": ["chat_id", "message"],
    ]

    /// Q1, with each agent's in-groups (`in_groups`, space-separated) when the source watches queues.
    static func sql(inGroups: Bool) -> String {
        sql.replacingOccurrences(of: "/*IN_GROUPS*/", with: inGroups ? ",\n  " + inGroupsColumn : "")
    }

    static let inGroupsColumn = """
        (SELECT GROUP_CONCAT(lia.group_id ORDER BY lia.group_id SEPARATOR ' ') FROM vicidial_live_inbound_agents lia
           WHERE lia.user = g.user) AS in_groups
        """

    /// The columns read, with those of the queue statements when the source watches queues.
    static func columns(queues: Bool) -> [String: [String]] {
        queues ? columns.merging(["vicidial_live_inbound_agents": ["user", "group_id"],
                                  "vicidial_campaigns": ["campaign_id", "campaign_name", "closer_campaigns"],
                                  "vicidial_inbound_groups": ["group_id", "group_name", "answer_sec_pct_rt_stat_one"],
                                  "vicidial_campaign_stats": ["campaign_id", "calls_today", "answers_today", "drops_today", "hold_sec_stat_one"],
                                  "vicidial_auto_calls": ["auto_call_id", "campaign_id", "callerid", "uniqueid", "channel", "status",
                                                          "call_time", "call_type", "queue_priority", "agent_only"]]) { _, b in b } : columns
    }

    static func columnsSQL(queues: Bool) -> String {
        "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ("
            + columns(queues: queues).keys.sorted().map { "'\($0)'" }.joined(separator: ", ") + ")"
    }

    /// `table.column` for each column needed that `available` (rows of `columnsSQL`) lacks, sorted.
    static func missing(from available: [[String?]], queues: Bool) -> [String] {
        let have = Set(available.compactMap { row in row.count == 2 ? "\(row[0] ?? "").\(row[1] ?? "")" : nil })
        return columns(queues: queues).flatMap { table, names in names.map { "\(table).\($0)" } }.filter { !have.contains($0) }.sorted()
    }
}
