import Foundation

/// An in-group of the simulated server: the calls waiting for an agent, oldest first. Every logged-in
/// agent takes every in-group (the simulator's simplification of `closer_campaigns`).
struct SimQueue: Sendable {
    var id: String
    var name: String
    /// When each waiting call arrived, oldest first.
    var waiting: [Date] = []
    var answered = 0
    var dropped = 0

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
}

extension Floor {
    /// Calls arrive, wait, hang up after `SimQueue.patience`, or go to a ready agent.
    mutating func stepQueues(now: Date) -> Int {
        var changed = 0
        for id in queues.keys.sorted() {
            var q = queues[id]!
            if model.callArrives() { q.waiting.append(now); changed += 1 }
            let before = q.waiting.count
            q.waiting.removeAll { now.timeIntervalSince($0) > SimQueue.patience }
            q.dropped += before - q.waiting.count
            if !q.waiting.isEmpty, let i = slots.firstIndex(where: { $0?.status == "READY" && $0?.ringing == false }), var a = slots[i] {
                model.answerQueued(&a)
                slots[i] = a
                users[a.user] = a
                q.waiting.removeFirst()
                q.answered += 1
                changed += 1
            }
            queues[id] = q
        }
        return changed
    }
}
