/// One alert rule (`alerts[]`): a state to match and how long in it is too long.
public struct AlertRule: Sendable, Equatable {
    /// The sub-statuses VICIdial reports (the API's `real_time_sub_status`), as a rule may name them.
    public static let subStatuses = ["RING", "DEAD", "DISPO", "3-WAY", "PARK", "PREVIEW", "DIAL"]

    public var name: String
    public var status: String
    /// `nil` matches any sub-status.
    public var subStatus: String?
    /// Empty matches any pause code.
    public var pauseCodes: [String]
    public var campaigns: [String]
    public var userGroups: [String]
    /// Configured source names; empty matches every source.
    public var sources: [String]
    /// Seconds in the state after which the rule fires.
    public var longerThan: Double

    public init(name: String, status: String, subStatus: String? = nil, pauseCodes: [String] = [], campaigns: [String] = [],
                userGroups: [String] = [], sources: [String] = [], longerThan: Double) {
        self.name = name
        self.status = status
        self.subStatus = subStatus
        self.pauseCodes = pauseCodes
        self.campaigns = campaigns
        self.userGroups = userGroups
        self.sources = sources
        self.longerThan = longerThan
    }

    public func matches(_ s: AgentState, source: String) -> Bool {
        s.status == status && (subStatus.map { $0 == s.subStatus } ?? true)
            && (pauseCodes.isEmpty || pauseCodes.contains(s.pauseCode))
            && (campaigns.isEmpty || campaigns.contains(s.campaignID))
            && (userGroups.isEmpty || userGroups.contains(s.userGroup))
            && (sources.isEmpty || sources.contains(source))
    }
}

/// A rule's limit crossed by an agent: what `vicidial.agent.threshold_exceeded` reports.
public struct ThresholdCrossing: Sendable, Equatable {
    public var rule: String
    public var longerThan: Double
    /// Seconds in the state so far.
    public var seconds: Double

    public init(rule: String, longerThan: Double, seconds: Double) {
        self.rule = rule
        self.longerThan = longerThan
        self.seconds = seconds
    }
}
