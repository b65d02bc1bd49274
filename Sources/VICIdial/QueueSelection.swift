/// Which queues a source watches (`queues` in its configuration).
public struct QueueSelection: Sendable, Equatable {
    /// In-group ids, or campaign ids for their outbound queues; empty with `all`.
    public var inGroups: [String]
    /// Every in-group and campaign with calls (the database source only: the API needs a list).
    public var all: Bool
    /// A queue's change goes out at most this often, unless urgent (`QueueWatch`).
    public var minInterval: Double

    public init(inGroups: [String] = [], all: Bool = false, minInterval: Double = 5) {
        self.inGroups = inGroups
        self.all = all
        self.minInterval = minInterval
    }
}
