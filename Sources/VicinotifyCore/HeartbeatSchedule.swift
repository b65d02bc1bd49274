/// When each agent of one source is owed a `vicidial.agent.heartbeat` on one sink: once `period` seconds
/// have passed without an event for that agent that the sink's filter lets through. Pure: the time is
/// an input, and the caller tells it which events the sink was given.
public struct HeartbeatSchedule: Sendable, Equatable {
    public let sink: String
    public let source: String
    public let period: Double
    public let filter: EventFilter
    /// The time of each tracked agent's last event to the sink.
    public private(set) var lastEvent: [String: Timestamp] = [:]

    public init(sink: String, source: String, period: Double, filter: EventFilter) {
        self.sink = sink
        self.source = source
        self.period = period
        self.filter = filter
    }

    /// Starts from a restored floor: `history` holds the source's events the sink was given recently (oldest
    /// first); an agent with none in it is owed a heartbeat at the first poll.
    public init(sink: String, source: String, period: Double, filter: EventFilter, floor: AgentFloor,
                history: [EncodedEvent], at now: Timestamp) {
        self.init(sink: sink, source: source, period: period, filter: filter)
        let quiet = Timestamp(millisecondsSince1970: now.millisecondsSince1970 - Int64(period * 1000))
        for row in floor.rows { lastEvent[row.state.user] = quiet }
        given(history)
    }

    /// Records events committed for the sink (those its filter drops are ignored).
    public mutating func given(_ events: [EncodedEvent]) {
        for e in events where e.type.isAgentEvent && e.sourceName == source && filter.matches(e) {
            if e.type == .loggedOut { lastEvent[e.subject] = nil } else { lastEvent[e.subject] = e.time }
        }
    }

    /// The agents of `floor` owed a heartbeat at `now`, in floor order. An agent seen for the first time
    /// (its events filtered out so far) starts its period now.
    public mutating func due(on floor: AgentFloor, at now: Timestamp) -> [ObservedAgent] {
        var out: [ObservedAgent] = []
        var present: Set<String> = []
        present.reserveCapacity(floor.count)
        for row in floor.rows {
            let s = row.state
            guard filter.matches(type: .heartbeat, source: source, campaign: s.campaignID, userGroup: s.userGroup,
                                 agent: s.user) else { continue }
            present.insert(s.user)
            guard let last = lastEvent[s.user] else {
                lastEvent[s.user] = now
                continue
            }
            if now.seconds(since: last) >= period { out.append(row) }
        }
        if present.count < lastEvent.count { lastEvent = lastEvent.filter { present.contains($0.key) } }
        return out
    }
}
