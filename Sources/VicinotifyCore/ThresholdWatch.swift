/// Which agents of one source crossed an alert rule's limit: once per occurrence of the matching state
/// (an occurrence is identified by when the state began, which a call change or an `updated` event does
/// not move), never again for it, and again for the next one. Pure: the time is an input.
public struct ThresholdWatch: Sendable {
    public let source: String
    public let rules: [AlertRule]
    private struct Key: Hashable {
        var rule: Int
        var agent: String
    }
    /// The start of the occurrence each (rule, agent) was last reported for.
    private var reported: [Key: Timestamp] = [:]

    public init(source: String, rules: [AlertRule]) {
        self.source = source
        self.rules = rules.filter { $0.sources.isEmpty || $0.sources.contains(source) }
    }

    /// After a restart: `earlier` holds the source's journaled crossings (rule name, agent, when). A
    /// crossing at or after the start of the agent's current state was for the current occurrence.
    public init(source: String, rules: [AlertRule], floor: AgentFloor, earlier: [(rule: String, agent: String, time: Timestamp)]) {
        self.init(source: source, rules: rules)
        for e in earlier {
            guard let r = self.rules.firstIndex(where: { $0.name == e.rule }), let row = floor[e.agent],
                  e.time >= row.since else { continue }
            reported[Key(rule: r, agent: e.agent)] = row.since
        }
    }

    /// The crossings at `now`, in floor order then rule order; each is reported once.
    public mutating func crossings(on floor: AgentFloor, at now: Timestamp) -> [(agent: ObservedAgent, crossing: ThresholdCrossing)] {
        guard !rules.isEmpty else { return [] }
        var out: [(agent: ObservedAgent, crossing: ThresholdCrossing)] = []
        var current: [Key: Timestamp] = [:]
        for row in floor.rows {
            for (r, rule) in rules.enumerated() where rule.matches(row.state, source: source) {
                let key = Key(rule: r, agent: row.state.user)
                if reported[key] == row.since {
                    current[key] = row.since
                    continue
                }
                let seconds = now.seconds(since: row.since)
                guard seconds >= rule.longerThan else { continue }
                current[key] = row.since
                out.append((row, ThresholdCrossing(rule: rule.name, longerThan: rule.longerThan, seconds: seconds)))
            }
        }
        // Occurrences that ended are forgotten; one that only left a rule's scope (a campaign move while
        // paused) is kept, so coming back into scope does not report it again.
        for (key, since) in reported where current[key] == nil && floor[key.agent]?.since == since { current[key] = since }
        reported = current
        return out
    }

    /// The earliest start among agents matching a rule now: crossings older than this cannot matter.
    public func oldestRelevantStart(on floor: AgentFloor) -> Timestamp? {
        floor.rows.filter { row in rules.contains { $0.matches(row.state, source: source) } }.map(\.since).min()
    }
}
