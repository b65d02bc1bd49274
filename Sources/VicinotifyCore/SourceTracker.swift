/// Everything one source remembers between polls: its last snapshot, its event sequence and its health.
/// Feeding it poll results yields the events to emit. Pure: no clock, no I/O.
public struct SourceTracker: Sendable {
    /// The configured source name.
    public let name: String
    /// CloudEvents `source` attribute of this source's events.
    public let eventSource: String
    /// The polled URL with the password redacted, reported in health events.
    public let redactedURL: String
    /// Consecutive failed polls that make the source `down`.
    public let downAfter: Int

    public private(set) var floor: AgentFloor
    public private(set) var lastSequence: UInt64
    /// Set at start and by a failed poll: the next successful poll may have missed changes.
    public private(set) var gap: Bool = true
    public private(set) var consecutiveFailures = 0
    public private(set) var firstFailureAt: Timestamp?
    public private(set) var isDown = false
    private var ids: EventIDGenerator

    public init(name: String, eventSource: String, redactedURL: String, downAfter: Int = 3,
                floor: AgentFloor = AgentFloor(), lastSequence: UInt64 = 0,
                idSeed: UInt64 = UInt64.random(in: .min ... .max)) {
        self.name = name
        self.eventSource = eventSource
        self.redactedURL = redactedURL
        self.downAfter = max(1, downAfter)
        self.floor = floor
        self.lastSequence = lastSequence
        self.ids = EventIDGenerator(seed: idSeed)
    }

    /// A successful poll: `current` is every agent the source reports logged in, in server order;
    /// `keeping` names agents that are logged in out of the source's view, kept at their last state.
    public mutating func observe(_ current: [AgentState], keeping: Set<String> = [], at time: Timestamp) -> [Event] {
        observeChanges(current, keeping: keeping, at: time).events
    }

    /// `observe`, with the agents' changes as the differ found them (what the journal's snapshot applies),
    /// so that nobody digs them back out of the events.
    public mutating func observeChanges(_ current: [AgentState], keeping: Set<String> = [],
                                        at time: Timestamp) -> (events: [Event], changes: [AgentChange]) {
        var events: [Event] = []
        if isDown, let since = firstFailureAt {
            events.append(healthEvent(.sourceUp, SourceHealthChange(
                source: name, url: redactedURL, reason: "", message: "polling recovered",
                failedPolls: consecutiveFailures, since: since), at: time))
        }
        isDown = false
        consecutiveFailures = 0
        firstFailureAt = nil
        let afterGap = gap
        let changes = floor.update(to: current, at: time, afterGap: afterGap, keeping: keeping)
        gap = false
        events.reserveCapacity(events.count + changes.count)
        for change in changes {
            events.append(makeEvent(type: change.type, subject: change.user, at: time,
                                    payload: .agent(change, afterGap: afterGap)))
        }
        return (events, changes)
    }

    /// A failed poll. Changes nothing about the agents; may emit `vicidial.source.down`.
    /// - Parameters:
    ///   - reason: a stable failure class such as `timeout` or `login_incorrect`.
    ///   - message: a description free of secrets.
    public mutating func fail(reason: String, message: String, at time: Timestamp) -> [Event] {
        gap = true
        consecutiveFailures += 1
        if firstFailureAt == nil { firstFailureAt = time }
        guard !isDown, consecutiveFailures >= downAfter else { return [] }
        isDown = true
        return [healthEvent(.sourceDown, SourceHealthChange(
            source: name, url: redactedURL, reason: reason, message: message,
            failedPolls: consecutiveFailures, since: firstFailureAt!), at: time)]
    }

    /// A `vicidial.agent.heartbeat` for `agent` (a row of `floor`): its full current state, nothing changed.
    public mutating func heartbeat(_ agent: ObservedAgent, at time: Timestamp) -> Event {
        let change = AgentChange(type: .heartbeat, previous: agent.state, current: agent.state, changed: [],
                                 previousStateSeconds: nil, since: agent.since, sinceKnown: agent.sinceKnown, statusSince: agent.statusSince)
        return makeEvent(type: .heartbeat, subject: agent.state.user, at: time, payload: .agent(change, afterGap: false))
    }

    /// A `vicidial.agent.threshold_exceeded` for `agent` (a row of `floor`).
    public mutating func thresholdExceeded(_ agent: ObservedAgent, _ crossing: ThresholdCrossing, at time: Timestamp) -> Event {
        let change = AgentChange(type: .thresholdExceeded, previous: agent.state, current: agent.state, changed: [],
                                 previousStateSeconds: nil, since: agent.since, sinceKnown: agent.sinceKnown, statusSince: agent.statusSince)
        return makeEvent(type: .thresholdExceeded, subject: agent.state.user, at: time, payload: .threshold(change, crossing))
    }

    private mutating func healthEvent(_ type: EventType, _ change: SourceHealthChange, at time: Timestamp) -> Event {
        makeEvent(type: type, subject: name, at: time, payload: .source(change))
    }

    /// A `vicidial.queue.changed`, sequenced with the source's agent events.
    public mutating func queueChanged(_ change: QueueChange, at time: Timestamp) -> Event {
        makeEvent(type: .queueChanged, subject: change.current.subject, at: time, payload: .queue(change))
    }

    /// A `vicidial.queue.threshold_exceeded` or `vicidial.queue.threshold_cleared`.
    public mutating func queueAlert(_ alert: QueueAlert, at time: Timestamp) -> Event {
        makeEvent(type: alert.exceeded ? .queueThresholdExceeded : .queueThresholdCleared, subject: alert.queue.subject, at: time,
                  payload: .queueAlert(alert))
    }

    private mutating func makeEvent(type: EventType, subject: String, at time: Timestamp, payload: Event.Payload) -> Event {
        lastSequence += 1
        return Event(id: ids.next(at: time), source: eventSource, sourceName: name, type: type, subject: subject,
                     time: time, sequence: lastSequence, payload: payload)
    }
}
