import ConfigValidation
import VicinotifyCore

/// The `alerts` list: each rule checked with its JSON path.
extension JSONValidator {
    mutating func alertRules(_ value: Any, sources: Set<String>) -> [AlertRule] {
        guard let list = value as? [Any] else {
            problem("alerts", "expected a list of rules")
            return []
        }
        var rules: [AlertRule] = []
        var names: [String: Int] = [:]
        for (i, item) in list.enumerated() {
            let p = "alerts[\(i)]"
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
        return rules
    }
}
