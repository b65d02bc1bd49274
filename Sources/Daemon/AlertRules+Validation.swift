import Foundation
import ConfigValidation
import VicinotifyCore

/// The `alerts` list: each rule checked with its JSON path.
extension JSONValidator {
    /// The agent rules, and the queue rules (those with `queues`).
    mutating func alertRules(_ value: Any, sources: Set<String>) -> (agents: [AlertRule], queues: [QueueRule]) {
        guard let list = value as? [Any] else {
            problem("alerts", "expected a list of rules")
            return ([], [])
        }
        var rules: [AlertRule] = []
        var queueRules: [QueueRule] = []
        var names: [String: Int] = [:]
        for (i, item) in list.enumerated() {
            let p = "alerts[\(i)]"
            if let d = item as? [String: Any], d["queues"] != nil {
                let name = self.name(d, p)
                if let j = names[name] { problem(p + ".name", "'\(name)' is already the name of alerts[\(j)]") }
                names[name] = names[name] ?? i
                if let rule = queueRule(d, p, name: name, sources: sources) { queueRules.append(rule) }
                continue
            }
            guard let d = object(item, p, allowed: ["name", "status", "sub_status", "pause_codes", "campaigns", "user_groups",
                                                    "sources", "longer_than"]) else { continue }
            let before = problems.count
            let name = self.name(d, p)
            if let j = names[name] { problem(p + ".name", "'\(name)' is already the name of alerts[\(j)]") }
            names[name] = names[name] ?? i
            let status = string(d, "status", p, required: true) ?? ""
            if !status.isEmpty, status != status.uppercased() || status.contains(" ") {
                problem(p + ".status", "VICIdial statuses are upper case without spaces (READY, PAUSED, INCALL, QUEUE, CLOSER)")
            }
            let pauseCodes = strings(d, "pause_codes", p)
            if !pauseCodes.isEmpty, status != AgentState.paused {
                problem(p + ".pause_codes", "pause codes only apply to status PAUSED")
            }
            if let sub = string(d, "sub_status", p), !AlertRule.subStatuses.contains(sub) {
                problem(p + ".sub_status", "'\(sub)' is not a VICIdial sub-status: one of \(AlertRule.subStatuses.joined(separator: ", "))")
            }
            let ruleSources = strings(d, "sources", p)
            for s in ruleSources where !sources.contains(s) { problem(p + ".sources", "'\(s)' is not a configured source") }
            if d["longer_than"] == nil { problem(p + ".longer_than", "required: a duration such as \"15m\"") }
            let limit = duration(d, "longer_than", p, default: 0, range: 1...86_400)
            guard problems.count == before else { continue }
            rules.append(AlertRule(name: name, status: status, subStatus: string(d, "sub_status", p), pauseCodes: pauseCodes,
                                   campaigns: strings(d, "campaigns", p), userGroups: strings(d, "user_groups", p),
                                   sources: ruleSources, longerThan: limit))
        }
        return (rules, queueRules)
    }

    /// A rule on queues: `queues` (ids, or `[]` for all), exactly one condition, and `for`.
    mutating func queueRule(_ item: [String: Any], _ p: String, name: String, sources: Set<String>) -> QueueRule? {
        let conditions = ["calls_waiting_at_least", "oldest_wait_longer_than", "ready_agents_at_most", "drop_percent_at_least",
                          "service_level_below"]
        guard let d = object(item, p, allowed: ["name", "queues", "sources", "for", "min_calls"] + conditions) else { return nil }
        let before = problems.count
        let queues = strings(d, "queues", p)
        let ruleSources = strings(d, "sources", p)
        for s in ruleSources where !sources.contains(s) { problem(p + ".sources", "'\(s)' is not a configured source") }
        let given = conditions.filter { d[$0] != nil }
        guard given.count == 1 else {
            problem(p, "a queue rule needs exactly one of \(conditions.joined(separator: ", "))")
            return nil
        }
        let condition: QueueRule.Condition
        switch given[0] {
        case "calls_waiting_at_least": condition = .callsWaitingAtLeast(int(d, given[0], p, default: 1, range: 1...100_000))
        case "oldest_wait_longer_than": condition = .oldestWaitLongerThan(duration(d, given[0], p, default: 60, range: 1...86_400))
        case "drop_percent_at_least", "service_level_below":
            let minCalls = int(d, "min_calls", p, default: 10, range: 0...1_000_000)
            let percent = (d[given[0]] as? NSNumber).map(\.doubleValue) ?? -1
            if !(percent > 0 && percent <= 100) || JSONValidator.isBoolean(d[given[0]]!) {
                problem(p + "." + given[0], "expected a percentage above 0 and at most 100")
            }
            condition = given[0] == "drop_percent_at_least" ? .dropPercentAtLeast(percent, minCalls: minCalls)
                                                          : .serviceLevelBelow(percent, minCalls: minCalls)
        default: condition = .readyAgentsAtMostWhileWaiting(int(d, given[0], p, default: 0, range: 0...100_000))
        }
        if d["min_calls"] != nil, !["drop_percent_at_least", "service_level_below"].contains(given[0]) {
            problem(p + ".min_calls", "only for drop_percent_at_least and service_level_below")
        }
        let holdFor = duration(d, "for", p, default: 0, range: 0...86_400)
        guard problems.count == before else { return nil }
        return QueueRule(name: name, queues: queues, sources: ruleSources, condition: condition, holdFor: holdFor)
    }
}
