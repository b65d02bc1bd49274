import Foundation

/// An in-group of the simulated server: the calls waiting for an agent, oldest first. Every logged-in
/// agent takes every in-group (the simulator's simplification of `closer_campaigns`).
struct SimQueue: Sendable {
    var id: String
    var name: String
    /// When each waiting call arrived, oldest first.
    var waiting: [Date] = []
    /// Today's figures, as VICIdial keeps them in `vicidial_campaign_stats`.
    var offered = 0
    var answered = 0
    var dropped = 0
    /// Answered within `serviceLevelSeconds` of arriving (`hold_sec_stat_one`).
    var answeredWithinServiceLevel = 0
    /// `vicidial_inbound_groups.answer_sec_pct_rt_stat_one`, VICIdial's default.
    static let serviceLevelSeconds: TimeInterval = 20

    static let columns = ["ingroups", "total_calls", "calls_waiting", "agents_logged_in", "agents_in_calls", "agents_waiting",
                          "agents_paused", "agents_in_dispo", "agents_in_dial"]

    /// A waiting call hangs up after this long.
    static let patience: TimeInterval = 90

    /// `in_group_status`'s row for `queues` (non_agent_api.php): `ingroups|total_calls|calls_waiting|
    /// agents_logged_in|agents_in_calls|agents_waiting|agents_paused|agents_in_dispo|agents_in_dial`.
    static func statusRow(_ queues: [SimQueue], ids: String, agents: [SimAgent], delimiter d: String) -> String {
        let waiting = queues.reduce(0) { $0 + $1.waiting.count }
        let inbound = agents.filter { $0.status == "INCALL" && $0.callerID.hasPrefix("Y") }.count
        let inCalls = agents.filter { ["INCALL", "QUEUE"].contains($0.status) && !$0.dialing }.count
        let ready = agents.filter { ["READY", "CLOSER"].contains($0.status) }.count
        let paused = agents.filter { $0.status == "PAUSED" && $0.leadID == 0 }.count
        let dispo = agents.filter { $0.status == "PAUSED" && $0.leadID > 0 }.count
        let dial = agents.filter { $0.status == "INCALL" && $0.dialing }.count
        return [ids, String(waiting + inbound), String(waiting), String(agents.count), String(inCalls), String(ready), String(paused),
                String(dispo), String(dial)].joined(separator: d) + "\n"
    }

    /// A call arrives and waits.
    mutating func arrive(at time: Date) {
        waiting.append(time)
        offered += 1
    }

    /// The oldest waiting call goes to an agent.
    mutating func answerOldest(at now: Date) {
        let arrived = waiting.removeFirst()
        answered += 1
        if now.timeIntervalSince(arrived) <= Self.serviceLevelSeconds { answeredWithinServiceLevel += 1 }
    }

    /// The oldest `count` waiting calls hang up.
    mutating func dropOldest(_ count: Int) {
        let n = min(count, waiting.count)
        waiting.removeFirst(n)
        dropped += n
    }
}

extension Floor {
    /// Calls arrive, wait, hang up after `SimQueue.patience`, or go to a ready agent.
    mutating func stepQueues(now: Date) -> Int {
        var changed = 0
        for id in queues.keys.sorted() {
            var q = queues[id]!
            if model.callArrives() { q.arrive(at: now); changed += 1 }
            let before = q.waiting.count
            q.waiting.removeAll { now.timeIntervalSince($0) > SimQueue.patience }
            q.dropped += before - q.waiting.count
            if !q.waiting.isEmpty, answerQueued(&q, now: now) { changed += 1 }
            queues[id] = q
        }
        return changed
    }

    /// A ready agent (not ringing) takes `q`'s oldest waiting call; false when none is ready.
    mutating func answerQueued(_ q: inout SimQueue, now: Date) -> Bool {
        guard let i = slots.firstIndex(where: { $0?.status == "READY" && $0?.ringing == false }), var a = slots[i] else { return false }
        model.answerQueued(&a)
        slots[i] = a
        users[a.user] = a
        q.answerOldest(at: now)
        return true
    }
}
