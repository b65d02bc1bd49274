/// An agent state and when it began, as VICIdial's real-time report counts it (`ReportClock`, or the
/// database's own timestamps): a new call's lead, a sub-status within a call or a first pause code do not
/// restart that clock. `statusSince` is the exact observed change of status, sub-status or pause code.
public struct ObservedAgent: Sendable, Hashable {
    public var state: AgentState
    /// When the state began as the report counts it; when `sinceKnown` is false, when it was first observed.
    public var since: Timestamp
    /// False when the state began before vicinotify could see it (the first poll, or a poll after a gap).
    public var sinceKnown: Bool
    /// When status, sub-status or pause code last changed, as observed; `nil` when not seen (first poll,
    /// after a gap, after a restart).
    public var statusSince: Timestamp?
    /// The agent's figures since the login (or since first seen, restored or after a restart).
    public var shift: ShiftFigures

    public init(state: AgentState, since: Timestamp, sinceKnown: Bool = true, statusSince: Timestamp? = nil, shift: ShiftFigures? = nil) {
        self.state = state
        self.since = since
        self.sinceKnown = sinceKnown
        self.statusSince = statusSince
        self.shift = shift ?? ShiftFigures(state, at: statusSince ?? since, fromLogin: false)
    }

    /// The state's start for consumers: `nil` when unknown.
    public var stateSince: Timestamp? { sinceKnown ? since : nil }
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
    ///   - afterGap: changes may have happened unseen before this poll: new states get no known start.
    ///   - keeping: users absent from `current` who are still logged in out of view: kept as they were.
    /// - Returns: at most one change per agent, except a new login session (a new `session_id`), which is a
    ///   `logged_out` then a `logged_in`: new and changed agents in `current` order, then logouts sorted by user.
    public mutating func update(to current: [AgentState], at time: Timestamp, afterGap: Bool = false,
                                keeping: Set<String> = []) -> [AgentChange] {
        var changes: [AgentChange] = []
        if keeping.isEmpty, current.count == rows.count, sameRoster(current) {
            for i in current.indices where rows[i].state != current[i] {
                rows[i] = Self.changes(from: rows[i], to: current[i], at: time, afterGap: afterGap, into: &changes)
            }
            return changes
        }
        var nextRows: [ObservedAgent] = []
        var nextIndex = [String: Int](minimumCapacity: current.count + keeping.count)
        nextRows.reserveCapacity(current.count + keeping.count)
        for state in current where nextIndex[state.user] == nil {
            nextIndex[state.user] = nextRows.count
            guard let before = self[state.user] else {
                let now = Self.observed(state, at: time, afterGap: afterGap)
                changes.append(.loggedIn(now))
                nextRows.append(now)
                continue
            }
            nextRows.append(before.state == state
                ? before : Self.changes(from: before, to: state, at: time, afterGap: afterGap, into: &changes))
        }
        for user in keeping where nextIndex[user] == nil {
            guard let kept = self[user] else { continue }
            nextIndex[user] = nextRows.count
            nextRows.append(kept)
        }
        let gone = rows.filter { nextIndex[$0.state.user] == nil }.sorted { $0.state.user < $1.state.user }
        for before in gone { changes.append(.loggedOut(before, at: time)) }
        rows = nextRows
        index = nextIndex
        return changes
    }

    /// `state` as first seen at `time`: since VICIdial's own clock when the source reads it (exact after a
    /// gap too), otherwise since this poll.
    private static func observed(_ state: AgentState, at time: Timestamp, afterGap: Bool) -> ObservedAgent {
        let statusSince = afterGap ? nil : time
        let shift = ShiftFigures(state, at: time, fromLogin: !afterGap)
        if let since = state.reportedSince {
            return ObservedAgent(state: state, since: min(since, time), sinceKnown: true, statusSince: statusSince, shift: shift)
        }
        return ObservedAgent(state: state, since: time, sinceKnown: !afterGap, statusSince: statusSince, shift: shift)
    }

    private func sameRoster(_ current: [AgentState]) -> Bool {
        rows.withUnsafeBufferPointer { old in
            current.withUnsafeBufferPointer { new in
                for i in 0..<new.count where old[i].state.user != new[i].user { return false }
                return true
            }
        }
    }

    /// Appends the changes from `before` to `state` and returns the agent as now observed.
    private static func changes(from before: ObservedAgent, to state: AgentState, at time: Timestamp, afterGap: Bool,
                                into changes: inout [AgentChange]) -> ObservedAgent {
        if before.state.isNewSession(state) {
            let now = observed(state, at: time, afterGap: afterGap)
            changes.append(.loggedOut(before, at: time))
            changes.append(.loggedIn(now))
            return now
        }
        var now = state.reportedSince == nil && !ReportClock.restarts(from: before.state, to: state)
            ? ObservedAgent(state: state, since: before.since, sinceKnown: before.sinceKnown, shift: before.shift)
            : observed(state, at: time, afterGap: afterGap)
        now.statusSince = before.state.isSameState(as: state) ? before.statusSince : (afterGap ? nil : time)
        now.shift = before.shift
        now.shift.advance(from: before.state, to: state, at: time, afterGap: afterGap)
        let changed = before.state.changedFields(to: state)
        guard !changed.isEmpty else { return now }  // only the report's clock moved: nothing to tell
        changes.append(AgentChange(type: changed.lazy.map(\.eventType).min()!, previous: before.state, current: state,
                                   changed: changed, previousStateSeconds: max(0, time.seconds(since: before.since)),
                                   since: now.since, sinceKnown: now.sinceKnown, statusSince: now.statusSince))
        return now
    }
}

extension AgentChange {
    static func loggedIn(_ now: ObservedAgent) -> AgentChange {
        AgentChange(type: .loggedIn, previous: nil, current: now.state, changed: [], previousStateSeconds: nil,
                    since: now.since, sinceKnown: now.sinceKnown, statusSince: now.statusSince)
    }

    static func loggedOut(_ before: ObservedAgent, at time: Timestamp) -> AgentChange {
        AgentChange(type: .loggedOut, previous: before.state, current: nil, changed: [],
                    previousStateSeconds: max(0, time.seconds(since: before.since)), since: time, sinceKnown: false)
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
