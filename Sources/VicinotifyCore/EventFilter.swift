/// Which events a consumer wants. Every list is "any of"; an empty list allows everything.
///
/// Event types are matched as patterns where `*` stands for any run of characters
/// (`vicidial.agent.*`). Campaigns, user groups and agents restrict agent events; campaigns also restrict
/// queue events (a queue passes when one of the campaigns that take it does). Source events
/// (`vicidial.source.*`) carry none of them and are selected by `types` and `sources` alone.
public struct EventFilter: Sendable, Equatable {
    public var types: [String]
    /// Configured source names (`sources[].name`).
    public var sources: [String]
    public var campaigns: [String]
    public var userGroups: [String]
    public var agents: [String]

    public init(types: [String] = [], sources: [String] = [], campaigns: [String] = [], userGroups: [String] = [],
                agents: [String] = []) {
        self.types = types
        self.sources = sources
        self.campaigns = campaigns
        self.userGroups = userGroups
        self.agents = agents
    }

    /// Whether nothing is filtered out.
    public var allowsEverything: Bool {
        types.isEmpty && sources.isEmpty && campaigns.isEmpty && userGroups.isEmpty && agents.isEmpty
    }

    /// An agent event passes when its current or its previous campaign and user group do: a reader
    /// scoped to a campaign sees an agent move out of it (or log out) rather than keeping a ghost.
    public func matches(_ event: EncodedEvent) -> Bool {
        if matches(type: event.type, source: event.sourceName, campaign: event.campaignID, userGroup: event.userGroup,
                   agent: event.subject) { return true }
        guard !event.previousCampaignID.isEmpty || !event.previousUserGroup.isEmpty else { return false }
        return matches(type: event.type, source: event.sourceName,
                       campaign: event.previousCampaignID.isEmpty ? event.campaignID : event.previousCampaignID,
                       userGroup: event.previousUserGroup.isEmpty ? event.userGroup : event.previousUserGroup, agent: event.subject)
    }

    /// Whether an event with these attributes passes; `agent` is the subject of agent events.
    public func matches(type: EventType, source: String, campaign: String, userGroup: String, agent: String) -> Bool {
        if !allowsType(type) { return false }
        if !sources.isEmpty, !sources.contains(source) { return false }
        if type.isQueueEvent { return campaigns.isEmpty || campaign.split(separator: " ").contains { campaigns.contains(String($0)) } }
        guard type.isAgentEvent else { return true }
        if !campaigns.isEmpty, !campaigns.contains(campaign) { return false }
        if !userGroups.isEmpty, !userGroups.contains(userGroup) { return false }
        if !agents.isEmpty, !agents.contains(agent) { return false }
        return true
    }

    /// Whether `types` lets events of `type` through.
    public func allowsType(_ type: EventType) -> Bool {
        types.isEmpty || types.contains { Self.glob($0, matches: type.rawValue) }
    }

    /// Whether `pattern` (with `*` wildcards) matches all of `text`.
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        if parts.count == 1 { return pattern == text }
        var rest = Substring(text)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let r = rest.firstRange(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }

    /// Whether every pattern can match some event type; returns the first that cannot.
    public static func unmatchablePattern(in patterns: [String]) -> String? {
        patterns.first { p in !EventType.allCases.contains { glob(p, matches: $0.rawValue) } }
    }
}
