/// An agent state and the time of the poll that first observed it.
public struct ObservedAgent: Sendable, Hashable {
    public var state: AgentState
    public var since: Timestamp
    public init(state: AgentState, since: Timestamp) {
        self.state = state
        self.since = since
    }
}

/// Turns two consecutive snapshots of one source into agent changes.
public enum Differ {
    /// - Parameters:
    ///   - previous: the last snapshot, keyed by user.
    ///   - current: the rows of the new snapshot in server order; for a user listed twice the first row counts.
    ///   - time: when the poll that produced `current` completed.
    /// - Returns: at most one change per agent (new and changed agents in `current` order, then logouts
    ///   sorted by user) and the snapshot to diff the next poll against.
    public static func diff(
        previous: [String: ObservedAgent], current: [AgentState], at time: Timestamp
    ) -> (changes: [AgentChange], next: [String: ObservedAgent]) {
        var next = [String: ObservedAgent](minimumCapacity: current.count)
        var changes: [AgentChange] = []
        var newcomers = 0
        for state in current {
            guard next[state.user] == nil else { continue }
            guard let before = previous[state.user] else {
                changes.append(AgentChange(type: .loggedIn, previous: nil, current: state, changed: [],
                                           previousStateSeconds: nil))
                next[state.user] = ObservedAgent(state: state, since: time)
                newcomers += 1
                continue
            }
            if before.state == state {
                next[state.user] = before
                continue
            }
            let changed = before.state.changedFields(to: state)
            let type = changed.lazy.map(\.eventType).min()!
            changes.append(AgentChange(type: type, previous: before.state, current: state, changed: changed,
                                       previousStateSeconds: max(0, time.seconds(since: before.since))))
            next[state.user] = ObservedAgent(state: state, since: time)
        }
        if next.count - newcomers < previous.count {  // someone is gone
            var gone: [ObservedAgent] = []
            for (user, before) in previous where next[user] == nil { gone.append(before) }
            gone.sort { $0.state.user < $1.state.user }
            for before in gone {
                changes.append(AgentChange(type: .loggedOut, previous: before.state, current: nil, changed: [],
                                           previousStateSeconds: max(0, time.seconds(since: before.since))))
            }
        }
        return (changes, next)
    }

    /// Applies changes to a floor, as a consumer rebuilding state from the stream would.
    public static func apply(_ changes: [AgentChange], to floor: inout [String: AgentState]) {
        for change in changes {
            if let current = change.current { floor[current.user] = current } else { floor[change.user] = nil }
        }
    }
}
