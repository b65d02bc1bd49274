import Foundation
import Synchronization
import VicinotifyCore

/// The floor now, as the source runners last committed it: what `GET /v1/agents` answers, from the same
/// polls that feed the sinks (no request to VICIdial per reader).
public final class LiveFloor: Sendable {
    struct SourceState {
        var floor = AgentFloor()
        var lastSuccess: Timestamp?
        var lastFailure: String?
        /// The last poll failed: the floor shown is the last one seen, not a quiet floor.
        var stale = false
        /// The watched queues as last read.
        var queues: [QueueState] = []
    }

    private struct State {
        var sources: [String: SourceState]
        /// The journal position the floor reflects.
        var position: Int64
    }

    private let state: Mutex<State>
    /// Each source's CloudEvents `source`, so a reader can match events to the list's sources.
    private let eventSources: [String: String]

    public init(sources: [String], eventSources: [String: String] = [:], position: Int64 = 0) {
        state = Mutex(State(sources: Dictionary(uniqueKeysWithValues: sources.map { ($0, SourceState()) }), position: position))
        self.eventSources = eventSources
    }

    /// The journal's position when the daemon starts, before any poll commits.
    func start(at position: Int64) { state.withLock { $0.position = max($0.position, position) } }

    /// Records one poll: its committed floor, or its failure.
    func record(_ report: PollReport) {
        state.withLock { s in
            var source = s.sources[report.source] ?? SourceState()
            if let failure = report.failure {
                source.stale = true
                source.lastFailure = failure.reason.rawValue
            } else if report.journalWritable {
                source.floor = report.floor
                source.stale = false
                source.lastSuccess = report.time
                if let queues = report.queues { source.queues = queues }
            }
            if let p = report.position { s.position = max(s.position, p) }
            s.sources[report.source] = source
        }
    }

    /// Which agents a list shows; empty lists mean all.
    public struct Query: Sendable {
        public var sources: [String] = []
        public var campaigns: [String] = []
        public var userGroups: [String] = []
        public var statuses: [String] = []
        public var agents: [String] = []
        /// The campaigns the reader's token is limited to (`nil`: none), said in the answer so a reader
        /// can drop an agent that moved out of them.
        public var scopeCampaigns: [String]?

        public init() {}

        /// From query parameters (`HTTPContext.query`): `source`, `campaign`, `user_group`, `status`, `agent`.
        public init(_ params: [String: [String]]) {
            sources = params["source"] ?? []
            campaigns = params["campaign"] ?? []
            userGroups = params["user_group"] ?? []
            statuses = params["status"] ?? []
            agents = params["agent"] ?? []
        }

        func matches(_ source: String, _ a: AgentState) -> Bool {
            (sources.isEmpty || sources.contains(source)) && (campaigns.isEmpty || campaigns.contains(a.campaignID))
                && (userGroups.isEmpty || userGroups.contains(a.userGroup)) && (statuses.isEmpty || statuses.contains(a.status))
                && (agents.isEmpty || agents.contains(a.user))
        }
    }

    /// `GET /v1/agents`: the matching agents, each source's health and summary counts, and the journal
    /// position the answer reflects.
    public func list(_ query: Query, now: Timestamp = .now()) -> [UInt8] {
        let s = state.withLock { $0 }
        var w = JSONWriter()
        w.raw("{\"sequence\":"); w.int(s.position)
        w.raw(",\"time\":\""); now.appendRFC3339(to: &w.bytes); w.raw("\",\"scope\":{\"campaigns\":")
        if let campaigns = query.scopeCampaigns { w.strings(campaigns) } else { w.raw("null") }
        w.raw("},\"sources\":{")
        let names = s.sources.keys.sorted().filter { query.sources.isEmpty || query.sources.contains($0) }
        for (i, name) in names.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(name); w.raw(":")
            Self.health(s.sources[name]!, query: query, name: name, eventSource: eventSources[name], into: &w)
        }
        w.raw("},\"agents\":[")
        var first = true
        for name in names {
            for row in s.sources[name]!.floor.rows where query.matches(name, row.state) {
                if !first { w.raw(",") }
                first = false
                Self.agent(row, source: name, now: now, into: &w)
            }
        }
        w.raw("]}\n")
        return w.bytes
    }

    /// `GET /v1/queues`: each watched queue's figures as last read, and the journal position. A reader
    /// scoped to campaigns sees their outbound queues and the in-groups they take.
    public func queues(sources: [String] = [], campaigns: [String]? = nil, now: Timestamp = .now()) -> [UInt8] {
        let s = state.withLock { $0 }
        var w = JSONWriter()
        w.raw("{\"sequence\":"); w.int(s.position)
        w.raw(",\"time\":\""); now.appendRFC3339(to: &w.bytes); w.raw("\",\"queues\":[")
        var first = true
        for name in s.sources.keys.sorted() where sources.isEmpty || sources.contains(name) {
            for q in s.sources[name]!.queues where campaigns.map({ c in q.campaigns.contains { c.contains($0) } }) ?? true {
                w.raw(first ? "{\"source\":" : ",{\"source\":"); w.string(name)
                w.raw(",\"queue\":"); w.string(q.queue)
                w.raw(",\"kind\":"); w.string(q.kind.rawValue)
                w.raw(",\"name\":"); w.string(q.name)
                w.raw(",\"campaigns\":"); w.strings(q.campaigns)
                w.raw(",\"figures\":"); EventEncoder.queue(q, into: &w)
                w.raw("}")
                first = false
            }
        }
        w.raw("]}\n")
        return w.bytes
    }

    /// `GET /v1/agents/{source}/{agent}`; `nil` when the agent is not logged in (or in none of `campaigns`).
    public func agent(source: String, user: String, campaigns: [String]? = nil, now: Timestamp = .now()) -> [UInt8]? {
        guard let row = state.withLock({ $0.sources[source]?.floor[user] }),
              campaigns?.contains(row.state.campaignID) ?? true else { return nil }
        var w = JSONWriter()
        Self.agent(row, source: source, now: now, into: &w)
        w.raw("\n")
        return w.bytes
    }

    private static func health(_ s: SourceState, query: Query, name: String, eventSource: String?, into w: inout JSONWriter) {
        w.raw("{\"up\":"); w.raw(s.lastSuccess != nil && !s.stale ? "true" : "false")
        w.raw(",\"event_source\":"); w.string(eventSource ?? "")
        w.raw(",\"stale\":"); w.raw(s.stale || s.lastSuccess == nil ? "true" : "false")
        w.raw(",\"last_success\":")
        if let t = s.lastSuccess { w.raw("\""); t.appendRFC3339(to: &w.bytes); w.raw("\"") } else { w.raw("null") }
        w.raw(",\"last_failure\":")
        if let f = s.lastFailure, s.stale { w.string(f) } else { w.raw("null") }
        let rows = s.floor.rows.filter { query.matches(name, $0.state) }
        w.raw(",\"summary\":"); FloorSummary(rows.map(\.state)).write(into: &w)
        w.raw(",\"campaigns\":{")
        let byCampaign = Dictionary(grouping: rows.map(\.state), by: \.campaignID)
        for (i, campaign) in byCampaign.keys.sorted().enumerated() {
            if i > 0 { w.raw(",") }
            w.string(campaign); w.raw(":"); FloorSummary(byCampaign[campaign]!).write(into: &w)
        }
        w.raw("}}")
    }

    private static func agent(_ row: ObservedAgent, source: String, now: Timestamp, into w: inout JSONWriter) {
        w.raw("{\"source\":"); w.string(source)
        w.raw(",\"agent\":"); w.string(row.state.user)
        w.raw(",\"state\":"); EventEncoder.state(row.state, into: &w)
        w.raw(",\"state_since\":")
        if let t = row.stateSince { w.raw("\""); t.appendRFC3339(to: &w.bytes); w.raw("\"") } else { w.raw("null") }
        w.raw(",\"state_seconds\":"); w.seconds(max(0, now.seconds(since: row.since)))
        if !row.sinceKnown { w.raw(",\"state_seconds_at_least\":true") }
        w.raw(",\"shift\":"); ShiftJSON.write(row.shift, now: now, into: &w)
        w.raw("}")
    }
}

/// The counts VICIdial's real-time report shows on top.
struct FloorSummary {
    var loggedIn = 0, inCalls = 0, waiting = 0, paused = 0, dead = 0, dispo = 0, dialling = 0

    init(_ agents: [AgentState]) {
        for a in agents {
            loggedIn += 1
            switch (a.status, a.subStatus) {
            case ("INCALL", "DEAD"): dead += 1
            case ("INCALL", "DIAL"): dialling += 1
            case (_, "DISPO"): dispo += 1
            case ("INCALL", _), ("QUEUE", _), ("MQUEUE", _): inCalls += 1
            case ("READY", _), ("CLOSER", _): waiting += 1
            case ("PAUSED", _): paused += 1
            default: break
            }
        }
    }

    func write(into w: inout JSONWriter) {
        w.raw("{\"logged_in\":"); w.int(Int64(loggedIn))
        w.raw(",\"in_calls\":"); w.int(Int64(inCalls))
        w.raw(",\"waiting\":"); w.int(Int64(waiting))
        w.raw(",\"paused\":"); w.int(Int64(paused))
        w.raw(",\"dead\":"); w.int(Int64(dead))
        w.raw(",\"dispo\":"); w.int(Int64(dispo))
        w.raw(",\"dialling\":"); w.int(Int64(dialling))
        w.raw("}")
    }
}
