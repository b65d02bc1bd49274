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

    public init(inGroups: [String] = [], all: Bool = false, minInterval: Double = 5, interval: Double = 0) {
        self.inGroups = inGroups
        self.all = all
        self.minInterval = minInterval
        self.interval = interval
    }

    /// Whether the queues are read at `now`, after last being read at `last`.
    public func due(now: ContinuousClock.Instant, last: ContinuousClock.Instant?) -> Bool {
        guard let last else { return true }
        return now - last >= .milliseconds(Int64(interval * 1000) - 50)  // a poll may start a little early
    }
}
