/// One agent's time per activity and calls since the login, from the transitions vicinotify observed
/// (VICIdial's API gives none; `agent_stats_export` would cost a request per agent). Pure: the states
/// and the times are inputs. Counting starts at the login, or, for an agent already logged in when the
/// daemon started, at first sight (`fromLogin` false); a gap in the polls leaves its time uncounted
/// (`complete` false).
public struct ShiftFigures: Sendable, Hashable {
    /// What an agent's time is spent on, as supervisors count it.
    public enum Activity: Hashable, Sendable, Comparable {
        /// READY or CLOSER: waiting for a call.
        case waiting
        /// On a call (INCALL or QUEUE, with PARK, DIAL, 3-WAY).
        case talking
        /// On a call the customer has left (sub-status DEAD).
        case dead
        /// Paused after a call, before its disposition (sub-status DISPO).
        case dispo
        /// Paused, by pause code (`""`: no code).
        case paused(String)
        /// Any other status.
        case other

        init(_ s: AgentState) {
            switch (s.status, s.subStatus) {
            case ("INCALL", "DEAD"), ("QUEUE", "DEAD"): self = .dead
            case ("INCALL", _), ("QUEUE", _), ("MQUEUE", _): self = .talking
            case ("PAUSED", "DISPO"): self = .dispo
            case ("PAUSED", _): self = .paused(s.pauseCode)
            case ("READY", _), ("CLOSER", _): self = .waiting
            default: self = .other
            }
        }

        var isCall: Bool { self == .talking || self == .dead }
    }

    /// When counting started.
    public private(set) var since: Timestamp
    /// Counting started at the login (not at the daemon's first sight of an agent already logged in).
    public private(set) var fromLogin: Bool
    /// No poll gap since `since`: every second is counted.
    public private(set) var complete: Bool
    /// Calls taken or placed: a call activity started, or a new lead or caller id while on calls.
    public private(set) var calls: Int
    /// Seconds of finished stretches per activity.
    public private(set) var finished: [Activity: Double] = [:]
    /// The activity now and since when.
    public private(set) var activity: Activity
    public private(set) var activitySince: Timestamp

    public init(_ state: AgentState, at time: Timestamp, fromLogin: Bool) {
        since = time
        self.fromLogin = fromLogin
        complete = true
        activity = Activity(state)
        activitySince = time
        calls = fromLogin && activity.isCall ? 1 : 0
    }

    /// The agent went from `before` to `after` at `time`; after a gap in the polls, the time since the last
    /// poll is not counted (nobody knows when the change happened).
    public mutating func advance(from before: AgentState, to after: AgentState, at time: Timestamp, afterGap: Bool) {
        let next = Activity(after)
        if next.isCall, !activity.isCall || (!after.callerID.isEmpty && (after.callerID != before.callerID || after.leadID != before.leadID)) {
            calls += 1
        }
        guard next != activity || afterGap else { return }
        if afterGap { complete = false } else { finished[activity, default: 0] += max(0, time.seconds(since: activitySince)) }
        activity = next
        activitySince = time
    }

    /// Seconds spent on each activity as of `now`, the current stretch included; only activities seen.
    public func seconds(at now: Timestamp) -> [Activity: Double] {
        var out = finished
        out[activity, default: 0] += max(0, now.seconds(since: activitySince))
        return out
    }
}
