import Logging
import VICIdial
import VicinotifyCore

/// One source's decisions about its polls, as a value: given the floor it last committed, a poll's result
/// and the clock, what to journal, what to log, the health report and how long to wait. No I/O: the
/// `SourceRunner` asks VICIdial, commits the plan and sleeps; tables of results test this.
///
/// A plan changes nothing until it is committed: when the journal refuses it (a full disk), the step keeps
/// its last committed state, so the change comes out once the journal works again.
struct PollStep: Sendable {
    /// One log line the runner writes.
    struct Log: Sendable, Equatable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    /// What one poll's result means.
    struct Plan: Sendable {
        var events: [EncodedEvent]
        /// Heartbeats, each for one sink.
        var addressed: [(sink: String, event: EncodedEvent)]
        var changes: [AgentChange]
        var report: PollReport
        var wait: Double
        var logs: [Log]
        /// The state once committed.
        fileprivate var next: Committed
        var isEmpty: Bool { events.isEmpty && addressed.isEmpty }
        /// The source's last sequence once committed.
        var lastSequence: UInt64 { next.tracker.lastSequence }
    }

    /// What a commit carries forward.
    fileprivate struct Committed: Sendable {
        var tracker: SourceTracker
        var heartbeats: [HeartbeatSchedule]
        var thresholds: ThresholdWatch
        var queues: QueueWatch
        var queueAlerts: QueueAlertWatch
    }

    let source: VICIdialSource
    private var state: Committed
    private var pacing: PollPacing
    private var outOfView: [String: Timestamp] = [:]
    private var warnedNotFound: Set<String> = []
    /// The last queue failure logged, so that a failing `in_group_status` is said once, not every poll.
    private var queueFailure: String?
    private(set) var journalBroken = false

    init(source: VICIdialSource, tracker: SourceTracker, heartbeats: [HeartbeatSchedule] = [], thresholds: ThresholdWatch? = nil,
         queueRules: [QueueRule] = []) {
        self.source = source
        state = Committed(tracker: tracker, heartbeats: heartbeats,
                          thresholds: thresholds ?? ThresholdWatch(source: tracker.name, rules: []),
                          queues: QueueWatch(minInterval: source.queues?.minInterval ?? 5),
                          queueAlerts: QueueAlertWatch(source: source.name, rules: queueRules))
        pacing = PollPacing(source)
    }

    /// The committed floor.
    var tracker: SourceTracker { state.tracker }

    /// What the client must know of the floor for the next poll.
    func known(now: Timestamp) -> KnownFloor {
        // The users themselves only matter to a source that checks vanished agents.
        let floor = state.tracker.floor
        let users = source.mode == .agentStatus || source.verifiesLogouts ? Set(floor.rows.map(\.state.user)) : []
        return KnownFloor(users: users, count: floor.count, outOfView: outOfView, now: now, dropPending: pacing.lastReason == .suspicious)
    }

    /// The plan for `result`, observed at `time`.
    mutating func plan(_ result: Result<FloorSnapshot, PollFailure>, at time: Timestamp) -> Plan {
        var next = state
        var logs: [Log] = []
        var events: [Event]
        var changes: [AgentChange] = []
        var wait = source.interval
        let report: PollReport
        let name = ["source": source.name]
        switch result {
        case .success(let snapshot):
            if let reason = pacing.succeeded() {
                logs.append(Log(level: .notice, message: "polling recovered", metadata: name.merging(["after": reason.rawValue]) { a, _ in a }))
            }
            for agent in snapshot.notFound where warnedNotFound.insert(agent).inserted {
                logs.append(Log(level: .warning, message: "\(PollFailure(.agentNotFound, "").advice) Kept as last seen: no logout.",
                                metadata: name.merging(["agent": agent]) { a, _ in a }))
            }
            outOfView = snapshot.outOfView
            (events, changes) = next.tracker.observeChanges(snapshot.agents, keeping: snapshot.keeping, at: time)
            for c in next.thresholds.crossings(on: next.tracker.floor, at: time) {
                events.append(next.tracker.thresholdExceeded(c.agent, c.crossing, at: time))
            }
            if let queues = snapshot.queues {
                for c in next.queues.changes(queues, at: time) { events.append(next.tracker.queueChanged(c, at: time)) }
                for a in next.queueAlerts.alerts(queues, at: time) { events.append(next.tracker.queueAlert(a, at: time)) }
            }
            logs += queueLogs(snapshot.queueFailure)
            var ok = PollReport(source: source.name, time: time, failure: nil, agents: snapshot.agents.count)
            ok.queues = snapshot.queues
            report = ok
        case .failure(let failure):
            events = next.tracker.fail(reason: failure.reason.rawValue, message: failure.message, at: time)
            report = PollReport(source: source.name, time: time, failure: failure, agents: state.tracker.floor.count)
            let (backoff, isNews) = pacing.failed(failure)
            wait = backoff
            if isNews {
                var metadata = name.merging(["reason": failure.reason.rawValue, "detail": failure.message]) { a, _ in a }
                if failure.isCredentialProblem { metadata["next_attempt_in"] = ConfigDuration.format(wait) }
                logs.append(Log(level: .error, message: "poll failed: \(failure.advice)", metadata: metadata))
            } else {
                logs.append(Log(level: .debug, message: "poll failed again", metadata: name.merging(["reason": failure.reason.rawValue]) { a, _ in a }))
            }
        }
        let encoded = events.map(EncodedEvent.init)
        var addressed: [(sink: String, event: EncodedEvent)] = []
        for i in next.heartbeats.indices {
            next.heartbeats[i].given(encoded)
            guard report.failure == nil else { continue }  // a failed poll knows no current state
            let due = next.heartbeats[i].due(on: next.tracker.floor, at: time).map { EncodedEvent(next.tracker.heartbeat($0, at: time)) }
            next.heartbeats[i].given(due)
            addressed += due.map { (next.heartbeats[i].sink, $0) }
        }
        return Plan(events: encoded, addressed: addressed, changes: changes, report: report, wait: wait, logs: logs, next: next)
    }

    /// A queue failure said once (and its end), not every poll: the agents' events go on meanwhile.
    private mutating func queueLogs(_ failure: PollFailure?) -> [Log] {
        let message = failure.map(\.description)
        defer { queueFailure = message }
        guard message != queueFailure else { return [] }
        if let failure {
            return [Log(level: .error, message: "cannot read the queues: \(failure.advice)",
                        metadata: ["source": source.name, "reason": failure.reason.rawValue])]
        }
        return [Log(level: .notice, message: "queues read again", metadata: ["source": source.name])]
    }

    /// `plan` is journaled (or had nothing to journal): its state becomes the committed one.
    mutating func committed(_ plan: Plan) -> [Log] {
        state = plan.next
        guard journalBroken, !plan.isEmpty else { return [] }
        journalBroken = false
        return [Log(level: .notice, message: "journal writable again: polling resumed", metadata: ["source": source.name])]
    }

    /// The journal refused `plan`: nothing changes, the next poll comes within a second at most.
    /// - Returns: the log lines (said once per outage) and the wait.
    mutating func refused(_ plan: Plan, error: String, diskFull: Bool) -> (logs: [Log], wait: Double) {
        defer { journalBroken = true }
        let wait = max(plan.wait, 1)
        guard !journalBroken else { return ([], wait) }
        return ([Log(level: .critical, message: "\(diskFull ? "the disk is full: " : "")cannot write the journal; polling paused, no event dropped",
                     metadata: ["source": source.name, "error": error])], wait)
    }
}
