import MariaDB
import VICIdial
import VicinotifyCore

/// The database source's queue statements: Q2 of the spec (`vicidial-db-source.md`: calls per in-group
/// and campaign as AST_timeonVDADall.php counts them) and the agents who take each queue now
/// (`vicidial_live_inbound_agents` for in-groups, the live rows' campaign for campaigns).
enum QueueQuery {
    static let calls = """
        SELECT vac.campaign_id, vac.call_type, COALESCE(vig.group_name, vc.campaign_name, '') AS name,
          COUNT(*)                                   AS active_calls,   -- "current active calls" / "calls being placed"
          SUM(vac.status NOT IN ('LIVE','CLOSER'))   AS ringing,        -- "calls ringing" (IVR counts here too)
          SUM(vac.status = 'LIVE')                   AS waiting,        -- "calls waiting for agents"
          SUM(vac.status = 'IVR')                    AS in_ivr,         -- "calls in IVR"
          SUM(vac.status = 'LIVE' AND vac.agent_only <> '') AS waiting_agent_only,
          UNIX_TIMESTAMP() - UNIX_TIMESTAMP(MIN(IF(vac.status = 'LIVE', vac.call_time, NULL))) AS oldest_wait_s,
          MAX(IF(vac.status = 'LIVE', vac.queue_priority, NULL)) AS top_priority
        FROM vicidial_auto_calls vac
        LEFT JOIN vicidial_inbound_groups vig ON vac.call_type = 'IN' AND vig.group_id = vac.campaign_id
        LEFT JOIN vicidial_campaigns vc ON vac.call_type <> 'IN' AND vc.campaign_id = vac.campaign_id
        WHERE vac.status <> 'XFER'
        GROUP BY vac.campaign_id, vac.call_type
        ORDER BY vac.call_type, vac.campaign_id;
        """

    static let agents = """
        SELECT 'IN' AS call_type, ig.group_id AS queue, COALESCE(ig.group_name, '') AS name, COUNT(la.user) AS logged_in,
          COALESCE(SUM(la.status IN ('READY','CLOSER')), 0) AS ready, COALESCE(SUM(la.status IN ('INCALL','QUEUE')), 0) AS in_call,
          COALESCE(SUM(la.status = 'PAUSED' AND la.lead_id = 0), 0) AS paused, COALESCE(SUM(la.status = 'PAUSED' AND la.lead_id > 0), 0) AS in_dispo
        FROM vicidial_inbound_groups ig
        LEFT JOIN vicidial_live_inbound_agents lia ON lia.group_id = ig.group_id
        LEFT JOIN vicidial_live_agents la ON la.user = lia.user
        GROUP BY ig.group_id, ig.group_name
        UNION ALL
        SELECT 'OUT', c.campaign_id, COALESCE(c.campaign_name, ''), COUNT(la.user),
          COALESCE(SUM(la.status IN ('READY','CLOSER')), 0), COALESCE(SUM(la.status IN ('INCALL','QUEUE')), 0),
          COALESCE(SUM(la.status = 'PAUSED' AND la.lead_id = 0), 0), COALESCE(SUM(la.status = 'PAUSED' AND la.lead_id > 0), 0)
        FROM vicidial_campaigns c
        LEFT JOIN vicidial_live_agents la ON la.campaign_id = c.campaign_id
        GROUP BY c.campaign_id, c.campaign_name
        """

    /// Today's figures per in-group and campaign (`vicidial_campaign_stats`, which VICIdial's AST_VDadapt.pl
    /// keeps, with the in-group's service-level threshold as the real-time report reads them), and which
    /// in-groups each campaign takes (`closer_campaigns`: space-separated, ending in " -"). A stats row is an
    /// in-group's when an in-group has its id, else a campaign's.
    static let today = """
        SELECT IF(ig.group_id IS NULL, 'OUT', 'IN') AS row_type, s.campaign_id AS queue, s.calls_today, s.answers_today, ROUND(s.drops_today) AS drops_today,
          s.hold_sec_stat_one, COALESCE(ig.answer_sec_pct_rt_stat_one, 20) AS service_level_seconds, '' AS closer_campaigns
        FROM vicidial_campaign_stats s
        LEFT JOIN vicidial_inbound_groups ig ON ig.group_id = s.campaign_id
        UNION ALL
        SELECT 'CAMPAIGN', campaign_id, 0, 0, 0, 0, 0, COALESCE(closer_campaigns, '') FROM vicidial_campaigns
        """

    /// The selected queues' figures from the three answers (`calls`, `agents`, `today`); a selected queue
    /// VICIdial does not know is a failure naming it.
    static func queues(calls: MariaDBResult, agents: MariaDBResult, today: MariaDBResult,
                       selection: QueueSelection) -> Result<[QueueState], PollFailure> {
        let c = DatabaseRow.Columns(calls), a = DatabaseRow.Columns(agents), t = DatabaseRow.Columns(today)
        var stats: [String: QueueToday] = [:], takers: [String: [String]] = [:]
        for row in today.rows {
            let id = t.text(row, "queue")
            func n(_ name: String) -> Int { Int(t.int(row, name) ?? 0) }
            let type = t.text(row, "row_type")
            if type != "CAMPAIGN" {
                stats[type + ":" + id] = QueueToday(offered: n("calls_today"), answered: n("answers_today"), dropped: n("drops_today"),
                                       answeredWithinServiceLevel: n("hold_sec_stat_one"), serviceLevelSeconds: n("service_level_seconds"))
            } else {
                for group in t.text(row, "closer_campaigns").split(separator: " ") where group != "-" {
                    takers[String(group), default: []].append(id)
                }
            }
        }
        struct Calls { var active = 0, ringing = 0, waiting = 0; var oldest: Int? }
        var byQueue: [String: Calls] = [:]
        for row in calls.rows {
            let id = c.text(row, "campaign_id"), key = (c.text(row, "call_type") == "IN" ? "IN:" : "OUT:") + id
            guard !id.isEmpty else { continue }
            var f = byQueue[key] ?? Calls()
            f.active += Int(c.int(row, "active_calls") ?? 0)
            f.ringing += Int(c.int(row, "ringing") ?? 0)
            f.waiting += Int(c.int(row, "waiting") ?? 0)
            if let o = c.int(row, "oldest_wait_s") { f.oldest = max(f.oldest ?? 0, Int(o)) }
            byQueue[key] = f
        }
        var out: [QueueState] = []
        var known: Set<String> = []
        for row in agents.rows {
            let id = a.text(row, "queue"), type = a.text(row, "call_type")
            guard !id.isEmpty else { continue }
            known.insert(id)
            guard selection.all || selection.inGroups.contains(id) else { continue }
            let f = byQueue[(type == "IN" ? "IN:" : "OUT:") + id] ?? Calls()
            func n(_ name: String) -> Int? { a.int(row, name).map { Int($0) } }
            out.append(QueueState(queue: id, kind: type == "IN" ? .inGroup : .campaign, name: a.text(row, "name"), callsWaiting: f.waiting,
                                  oldestWaitSeconds: f.oldest, activeCalls: f.active, ringing: f.ringing, agentsLoggedIn: n("logged_in"),
                                  agentsReady: n("ready"), agentsInCall: n("in_call"), agentsPaused: n("paused"), agentsInDispo: n("in_dispo"),
                                  today: stats[type + ":" + id], campaigns: type == "IN" ? (takers[id] ?? []).sorted() : [id]))
        }
        let unknown = selection.inGroups.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            return .failure(PollFailure(.schema, "no in-group or campaign \(unknown.joined(separator: ", ")) in vicidial_inbound_groups or vicidial_campaigns"))
        }
        return .success(out)
    }
}
