/// An agent state and the time of the poll that first observed it.
public struct ObservedAgent: Sendable, Hashable {
    public var state: AgentState
    public var since: Timestamp
    public init(state: AgentState, since: Timestamp) {
        self.state = state
        self.since = since
    }
}

/// The agents of one source as last observed, in server order, indexed by user: the differ.
///
/// `update(to:at:)` turns the next snapshot into changes. When the roster is the same as last time (the
/// usual poll: nobody logged in or out), rows are compared in place, without hashing a single user.
public struct AgentFloor: Sendable {
    public private(set) var rows: [ObservedAgent] = []
    private var index: [String: Int] = [:]

    public init() {}

    /// A floor restored from storage; for a user listed twice the first row counts.
    public init(_ agents: [ObservedAgent]) {
        for a in agents where index[a.state.user] == nil {
            index[a.state.user] = rows.count
            rows.append(a)
        }
    }

    public var count: Int { rows.count }
    public subscript(user: String) -> ObservedAgent? { index[user].map { rows[$0] } }
    /// The current state of every agent, by user.
    public var states: [String: AgentState] { Dictionary(uniqueKeysWithValues: rows.map { ($0.state.user, $0.state) }) }

    /// Replaces the floor by a new snapshot.
    /// - Parameters:
    ///   - current: the rows of the new snapshot in server order; for a user listed twice the first row counts.
    ///   - time: when the poll that produced `current` completed.
    /// - Returns: at most one change per agent: new and changed agents in `current` order, then logouts
    ///   sorted by user.
    public mutating func update(to current: [AgentState], at time: Timestamp) -> [AgentChange] {
        var changes: [AgentChange] = []
        if current.count == rows.count, sameRoster(current) {
            for i in current.indices where rows[i].state != current[i] {
                changes.append(Self.change(from: rows[i], to: current[i], at: time))
                rows[i] = ObservedAgent(state: current[i], since: time)
            }
            return changes
        }
        var nextRows: [ObservedAgent] = []
        var nextIndex = [String: Int](minimumCapacity: current.count)
        nextRows.reserveCapacity(current.count)
        for state in current where nextIndex[state.user] == nil {
            nextIndex[state.user] = nextRows.count
            guard let before = self[state.user] else {
                changes.append(AgentChange(type: .loggedIn, previous: nil, current: state, changed: [],
                                           previousStateSeconds: nil))
                nextRows.append(ObservedAgent(state: state, since: time))
                continue
            }
            if before.state == state {
                nextRows.append(before)
            } else {
                changes.append(Self.change(from: before, to: state, at: time))
                nextRows.append(ObservedAgent(state: state, since: time))
            }
        }
        let gone = rows.filter { nextIndex[$0.state.user] == nil }.sorted { $0.state.user < $1.state.user }
        for before in gone {
            changes.append(AgentChange(type: .loggedOut, previous: before.state, current: nil, changed: [],
                                       previousStateSeconds: max(0, time.seconds(since: before.since))))
        }
        rows = nextRows
        index = nextIndex
        return changes
    }

    private func sameRoster(_ current: [AgentState]) -> Bool {
        rows.withUnsafeBufferPointer { old in
            current.withUnsafeBufferPointer { new in
                for i in 0..<new.count where old[i].state.user != new[i].user { return false }
                return true
            }
        }
    }

    private static func change(from before: ObservedAgent, to state: AgentState, at time: Timestamp) -> AgentChange {
        let changed = before.state.changedFields(to: state)
        return AgentChange(type: changed.lazy.map(\.eventType).min()!, previous: before.state, current: state,
                           changed: changed, previousStateSeconds: max(0, time.seconds(since: before.since)))
    }
}

/// Rebuilding state from changes, as a consumer of the event stream does.
public enum Differ {
    public static func apply(_ changes: [AgentChange], to floor: inout [String: AgentState]) {
        for change in changes {
            if let current = change.current { floor[current.user] = current } else { floor[change.user] = nil }
        }
    }
}
