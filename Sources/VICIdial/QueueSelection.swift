import VicinotifyCore

/// Which queues a source watches (`queues` in its configuration).
public struct QueueSelection: Sendable, Equatable {
    /// In-group ids, or campaign ids for their outbound queues; empty with `all`.
    public var inGroups: [String]
    /// Every in-group and campaign with calls (the database source only: the API needs a list).
    public var all: Bool
    /// A queue's change goes out at most this often, unless urgent (`QueueWatch`).
    public var minInterval: Double
    /// Seconds between reads of the queues; 0: with every poll of the floor.
    public var interval: Double
    /// The campaigns that take each in-group (`queues.campaigns`), for readers scoped to campaigns. The
    /// database source reads them from `closer_campaigns`; this map, where given, wins.
    public var campaigns: [String: [String]]

    public init(inGroups: [String] = [], all: Bool = false, minInterval: Double = 5, interval: Double = 0,
                campaigns: [String: [String]] = [:]) {
        self.inGroups = inGroups
        self.all = all
        self.minInterval = minInterval
        self.interval = interval
        self.campaigns = campaigns
    }

    /// The API's default `interval`: at most ten `in_group_status` requests a second (each one costs
    /// VICIdial a request and the daemon a transfer), so up to ten in-groups are read with every poll and
    /// fifty every 5 s.
    public static func apiDefaultInterval(inGroups: Int) -> Double { inGroups <= 10 ? 0 : Double(inGroups) / 10 }

    /// `q` with the campaigns the configuration names for it.
    public func scoped(_ q: QueueState) -> QueueState {
        guard q.kind == .inGroup, let c = campaigns[q.queue] else { return q }
        var q = q
        q.campaigns = c
        return q
    }

    /// Whether the queues are read at `now`, after last being read at `last`.
    public func due(now: ContinuousClock.Instant, last: ContinuousClock.Instant?) -> Bool {
        guard let last else { return true }
        return now - last >= .milliseconds(Int64(interval * 1000) - 50)  // a poll may start a little early
    }
}
