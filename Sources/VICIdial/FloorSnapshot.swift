import VicinotifyCore

/// What a successful poll saw.
public struct FloorSnapshot: Sendable, Equatable {
    /// Every logged-in agent the poll saw, in server order; agents found logged in out of view (in another
    /// campaign or user group than the source watches) come last.
    public var agents: [AgentState]
    /// Agents logged in but out of the source's view, with when they were last confirmed: keep them at
    /// their last state (`agents` has the new state of those confirmed by this poll), and no logout.
    public var outOfView: [String: Timestamp]
    /// Watched or vanished agents that VICIdial answered `AGENT NOT FOUND` for: the user does not exist,
    /// or the API user may not see its user group.
    public var notFound: [String]
    /// Vanished agents whose check failed: kept as they were, and asked about again next poll.
    public var undecided: Set<String> = []
    /// Seconds the database source's replica is behind (its newest agent-screen update against its
    /// clock); `nil` from the API.
    public var lag: Double?
    /// The watched queues' figures, when the source polls queues and they were read.
    public var queues: [QueueState]?
    /// Why the queues could not be read this poll (the agents were).
    public var queueFailure: PollFailure?

    public init(agents: [AgentState], outOfView: [String: Timestamp] = [:], notFound: [String] = []) {
        self.agents = agents
        self.outOfView = outOfView
        self.notFound = notFound
    }

    /// Out-of-view and undecided agents absent from `agents`: the tracker keeps their last state.
    public var keeping: Set<String> {
        let seen = Set(agents.map(\.user))
        return Set(outOfView.keys.filter { !seen.contains($0) }).union(undecided)
    }
}

/// What the tracker knows before a poll: who was on the floor, and who is logged in out of view.
public struct KnownFloor: Sendable {
    /// The users on the floor; may be left empty when the source never checks vanished agents.
    public var users: Set<String>
    /// How many agents are on the floor.
    public var count: Int
    public var outOfView: [String: Timestamp]
    /// The poll's time, to decide which out-of-view agents are due for another check.
    public var now: Timestamp
    /// The previous poll saw most of the floor vanish and was not believed: this one may confirm it.
    public var dropPending: Bool

    public init(users: Set<String> = [], count: Int? = nil, outOfView: [String: Timestamp] = [:], now: Timestamp = .now(),
                dropPending: Bool = false) {
        self.users = users
        self.count = count ?? users.count
        self.outOfView = outOfView
        self.now = now
        self.dropPending = dropPending
    }

    /// A floor of at least this many agents that loses more than half of them in one poll is suspect: a
    /// body cut short at a line end looks exactly like that. The next poll confirms or refutes it.
    public static let suspectDropFloor = 10

    /// Whether an answer with `seen` agents is believed after a floor of `users`, out-of-view ones aside.
    public func believes(seen: Int) -> Bool {
        let inView = count - outOfView.count
        return dropPending || inView < Self.suspectDropFloor || seen * 2 >= inView
    }
}
