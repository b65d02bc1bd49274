/// One queue's figures as of one poll: an in-group (inbound) or a campaign's outbound calls. A figure the
/// source cannot give is `nil`, never invented: the API's `in_group_status` has no waits and no ringing,
/// the database has both.
public struct QueueState: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case inGroup = "in_group"
        case campaign
    }

    /// The in-group's `group_id` or the campaign's `campaign_id`.
    public var queue: String
    public var kind: Kind
    public var name: String
    /// Calls waiting for an agent (VICIdial's `LIVE` calls).
    public var callsWaiting: Int
    /// Seconds the oldest waiting call has waited, as of the poll.
    public var oldestWaitSeconds: Int?
    /// Calls in the queue in any state: waiting, ringing, in IVR, with an agent.
    public var activeCalls: Int?
    /// Calls being placed or ringing (and in IVR).
    public var ringing: Int?
    public var agentsLoggedIn: Int?
    /// Agents ready for this queue's next call (READY or CLOSER).
    public var agentsReady: Int?
    public var agentsInCall: Int?
    public var agentsPaused: Int?
    public var agentsInDispo: Int?
    /// Today's offered, answered and dropped calls and service level (the database source only).
    public var today: QueueToday?
    /// The campaigns that take this in-group (VICIdial's `closer_campaigns`, or `queues.campaigns` in the
    /// configuration); a campaign's own queue has itself. A reader scoped to a campaign sees these.
    public var campaigns: [String]

    public init(queue: String, kind: Kind, name: String = "", callsWaiting: Int, oldestWaitSeconds: Int? = nil, activeCalls: Int? = nil,
                ringing: Int? = nil, agentsLoggedIn: Int? = nil, agentsReady: Int? = nil, agentsInCall: Int? = nil,
                agentsPaused: Int? = nil, agentsInDispo: Int? = nil, today: QueueToday? = nil, campaigns: [String] = []) {
        self.queue = queue
        self.kind = kind
        self.name = name
        self.callsWaiting = callsWaiting
        self.oldestWaitSeconds = oldestWaitSeconds
        self.activeCalls = activeCalls
        self.ringing = ringing
        self.agentsLoggedIn = agentsLoggedIn
        self.agentsReady = agentsReady
        self.agentsInCall = agentsInCall
        self.agentsPaused = agentsPaused
        self.agentsInDispo = agentsInDispo
        self.today = today
        self.campaigns = kind == .campaign && campaigns.isEmpty ? [queue] : campaigns
    }

    /// The event's `subject`: `queue:<in-group>`, or `queue:campaign:<campaign>` (an in-group and a
    /// campaign may share an id).
    public var subject: String { kind == .inGroup ? "queue:" + queue : "queue:campaign:" + queue }

    /// The figures by their JSON names, in a fixed order (`nil`: the source cannot tell).
    public var figures: [(name: String, value: Int?)] {
        [("calls_waiting", callsWaiting), ("oldest_wait_seconds", oldestWaitSeconds), ("active_calls", activeCalls), ("ringing", ringing),
         ("agents_logged_in", agentsLoggedIn), ("agents_ready", agentsReady), ("agents_in_call", agentsInCall),
         ("agents_paused", agentsPaused), ("agents_in_dispo", agentsInDispo), ("offered", today?.offered),
         ("answered", today?.answered), ("dropped", today?.dropped), ("answered_within_service_level", today?.answeredWithinServiceLevel),
         ("service_level_seconds", today?.serviceLevelSeconds)]
    }

    /// The percentages by their JSON names (`nil`: the source cannot tell, or no call yet).
    public var percentages: [(name: String, value: Double?)] {
        [("drop_percent", today?.dropPercent), ("service_level_percent", today?.serviceLevelPercent)]
    }

    /// One figure or percentage by its JSON name; `nil` when the source cannot tell.
    public func value(of name: String) -> Double? {
        if let f = figures.first(where: { $0.name == name }) { return f.value.map(Double.init) }
        return percentages.first { $0.name == name }?.value ?? nil
    }

    /// The names of the figures that differ from `other`'s, oldest wait aside (it moves every second
    /// while a call waits: it is news only when it appears or goes).
    public func changedFigures(from other: QueueState) -> [String] {
        zip(figures, other.figures).compactMap { mine, theirs in
            if mine.name == "oldest_wait_seconds" { return (mine.value == nil) != (theirs.value == nil) ? mine.name : nil }
            return mine.value != theirs.value ? mine.name : nil
        } + (name != other.name ? ["name"] : [])
    }
}

/// A queue's change between two polls: `vicidial.queue.changed`.
public struct QueueChange: Sendable, Equatable {
    /// `nil` for a queue first seen (at start, or new).
    public var previous: QueueState?
    public var current: QueueState
    public var changed: [String]

    public init(previous: QueueState?, current: QueueState, changed: [String]) {
        self.previous = previous
        self.current = current
        self.changed = changed
    }
}
