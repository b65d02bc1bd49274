/// The CloudEvents `type` of every event vicinotify emits.
public enum EventType: String, Sendable, CaseIterable, Comparable {
    case loggedIn = "vicidial.agent.logged_in"
    case loggedOut = "vicidial.agent.logged_out"
    case statusChanged = "vicidial.agent.status_changed"
    case callChanged = "vicidial.agent.call_changed"
    case updated = "vicidial.agent.updated"
    case sourceDown = "vicidial.source.down"
    case sourceUp = "vicidial.source.up"
    /// Derived: an agent's full current state, for a sink that asked for one after a quiet period.
    case heartbeat = "vicidial.agent.heartbeat"
    /// Derived: an agent has been in a state longer than an alert rule allows (once per occurrence).
    case thresholdExceeded = "vicidial.agent.threshold_exceeded"
    /// A queue's figures changed (`QueueWatch` decides which changes go out).
    case queueChanged = "vicidial.queue.changed"
    /// Derived: a queue rule's condition has held long enough (once per holding).
    case queueThresholdExceeded = "vicidial.queue.threshold_exceeded"
    /// Derived: a queue rule that fired stopped holding.
    case queueThresholdCleared = "vicidial.queue.threshold_cleared"

    /// Lower ranks win when one poll changes fields of several kinds.
    var priority: Int { EventType.allCases.firstIndex(of: self)! }
    public static func < (a: EventType, b: EventType) -> Bool { a.priority < b.priority }

    /// Whether the event is about an agent (`vicidial.agent.*`) rather than a source.
    public var isAgentEvent: Bool {
        switch self {
        case .sourceDown, .sourceUp, .queueChanged, .queueThresholdExceeded, .queueThresholdCleared: false
        default: true
        }
    }

    /// The event's `dataschema`: the `$id` of the JSON Schema of its `data` (`schemas/<type>.json`, and
    /// `GET /v1/schemas/<type>`).
    public var dataSchema: String { "urn:vicinotify:schema:" + rawValue + ":v1" }

    /// Whether the event is about a queue (`vicidial.queue.*`).
    public var isQueueEvent: Bool {
        switch self {
        case .queueChanged, .queueThresholdExceeded, .queueThresholdCleared: true
        default: false
        }
    }
}

/// One agent's change between two consecutive snapshots of a source.
public struct AgentChange: Sendable, Equatable {
    public var type: EventType
    public var previous: AgentState?
    public var current: AgentState?
    /// Fields that differ; empty for `logged_in` and `logged_out`.
    public var changed: [AgentField]
    /// How long the state of `previous` (status, sub-status, pause code) lasted; `nil` for `logged_in`.
    public var previousStateSeconds: Double?
    /// When the state of `current` began, or was first observed when `sinceKnown` is false.
    public var since: Timestamp
    /// Whether `since` is when the state began (false after a gap, and for `logged_out`).
    public var sinceKnown: Bool
    /// When status, sub-status or pause code last changed, as observed (`status_since`); `nil` when unknown.
    public var statusSince: Timestamp?

    public init(type: EventType, previous: AgentState?, current: AgentState?, changed: [AgentField],
                previousStateSeconds: Double?, since: Timestamp = Timestamp(millisecondsSince1970: 0),
                sinceKnown: Bool = false, statusSince: Timestamp? = nil) {
        self.statusSince = current == nil ? nil : statusSince
        self.type = type
        self.previous = previous
        self.current = current
        self.changed = changed
        self.previousStateSeconds = previousStateSeconds
        self.since = since
        self.sinceKnown = sinceKnown
    }

    /// When the current state began, for the event's `state_since`: `nil` when unknown or logged out.
    public var stateSince: Timestamp? { sinceKnown && current != nil ? since : nil }

    public var user: String { (current ?? previous)!.user }
}

/// What `vicidial.source.down` and `vicidial.source.up` report.
public struct SourceHealthChange: Sendable, Equatable {
    public var source: String
    /// The polled URL, password redacted.
    public var url: String
    /// Failure class of the last failed poll (`login_incorrect`, `timeout`, …).
    public var reason: String
    /// Human-readable, secret-free description of the last failure.
    public var message: String
    public var failedPolls: Int
    /// When the first failed poll of this outage completed.
    public var since: Timestamp

    public init(source: String, url: String, reason: String, message: String, failedPolls: Int, since: Timestamp) {
        self.source = source
        self.url = url
        self.reason = reason
        self.message = message
        self.failedPolls = failedPolls
        self.since = since
    }
}

/// One event as emitted: CloudEvents 1.0 attributes plus its data.
public struct Event: Sendable {
    public enum Payload: Sendable {
        case agent(AgentChange, afterGap: Bool)
        case threshold(AgentChange, ThresholdCrossing)
        case source(SourceHealthChange)
        case queue(QueueChange)
        case queueAlert(QueueAlert)
    }

    public var id: String
    /// CloudEvents `source`, e.g. `vicidial://dialer1.example.com`.
    public var source: String
    /// The configured name of the source that observed the event.
    public var sourceName: String
    public var type: EventType
    public var subject: String
    public var time: Timestamp
    public var sequence: UInt64
    public var payload: Payload

    public init(id: String, source: String, sourceName: String, type: EventType, subject: String, time: Timestamp,
                sequence: UInt64, payload: Payload) {
        self.id = id
        self.source = source
        self.sourceName = sourceName
        self.type = type
        self.subject = subject
        self.time = time
        self.sequence = sequence
        self.payload = payload
    }

    /// The agent's campaign and user group (the current one, or the last known for `logged_out`); a
    /// queue's campaigns, space-separated (VICIdial's ids have no spaces).
    public var campaignID: String? {
        if case .queue(let q) = payload { return q.current.campaigns.joined(separator: " ") }
        if case .queueAlert(let a) = payload { return a.queue.campaigns.joined(separator: " ") }
        return change.flatMap { ($0.current ?? $0.previous)?.campaignID }
    }
    public var userGroup: String? { change.flatMap { ($0.current ?? $0.previous)?.userGroup } }

    /// The agent change an agent event carries; `nil` for source events.
    public var change: AgentChange? {
        switch payload {
        case .agent(let c, _), .threshold(let c, _): c
        case .source, .queue, .queueAlert: nil
        }
    }

    /// `sequence` as the zero-padded text that sorts like the number.
    public var sequenceText: String { EventEncoder.sequenceText(sequence) }
}

/// An event rendered once to its final JSON bytes, with the attributes sinks filter and route on.
/// Every sink delivers exactly these bytes, on every attempt.
public struct EncodedEvent: Sendable, Hashable {
    public var id: String
    public var sequence: UInt64
    public var type: EventType
    public var subject: String
    public var sourceName: String
    public var campaignID: String
    public var userGroup: String
    /// The campaign and user group the agent had before this change, when they differ from the current
    /// ones (empty otherwise): a scoped reader must see an agent leave its scope.
    public var previousCampaignID: String
    public var previousUserGroup: String
    public var time: Timestamp
    public var json: [UInt8]

    public init(id: String, sequence: UInt64, type: EventType, subject: String, sourceName: String,
                campaignID: String, userGroup: String, previousCampaignID: String = "", previousUserGroup: String = "",
                time: Timestamp, json: [UInt8]) {
        self.id = id
        self.sequence = sequence
        self.type = type
        self.subject = subject
        self.sourceName = sourceName
        self.campaignID = campaignID
        self.userGroup = userGroup
        self.previousCampaignID = previousCampaignID == campaignID ? "" : previousCampaignID
        self.previousUserGroup = previousUserGroup == userGroup ? "" : previousUserGroup
        self.time = time
        self.json = json
    }

    public init(_ event: Event) {
        let previous = event.change.flatMap { $0.current == nil ? nil : $0.previous }
        self.init(id: event.id, sequence: event.sequence, type: event.type, subject: event.subject,
                  sourceName: event.sourceName, campaignID: event.campaignID ?? "", userGroup: event.userGroup ?? "",
                  previousCampaignID: previous?.campaignID ?? "", previousUserGroup: previous?.userGroup ?? "",
                  time: event.time, json: EventEncoder.encode(event))
    }
}
