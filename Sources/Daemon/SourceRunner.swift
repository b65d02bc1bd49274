import CurlHTTP
import Journal
import Logging
import VICIdial
import VicinotifyCore

/// Polls one source on its schedule, never two polls at once, and turns each poll into events that it
/// commits to the journal together with the snapshot. A failed poll yields no agent events; login errors
/// back off for minutes so VICIdial does not lock the API user out, and each new kind of failure is
/// logged once, clearly. When the journal cannot be written (a full disk), polling pauses and the
/// tracker keeps its last committed state, so the change comes out once the journal works again.
struct SourceRunner: Sendable {
    let client: VICIdialClient
    let journal: Journal
    let logger: Logger

    var source: VICIdialSource { client.source }

    /// Runs until the task is cancelled; after every poll calls `polled` with whether events were committed.
    /// - Parameter heartbeats: one schedule per sink that asked for heartbeats, restored for this source.
    /// - Parameter thresholds: the alert rules' watch, restored for this source.
    func run(tracker initial: SourceTracker, heartbeats initialHeartbeats: [HeartbeatSchedule] = [],
             thresholds initialThresholds: ThresholdWatch? = nil, onePoll: Bool = false,
             polled: @Sendable (_ committed: Bool, PollReport) async -> Void) async {
        var tracker = initial
        var heartbeats = initialHeartbeats
        var thresholds = initialThresholds ?? ThresholdWatch(source: initial.name, rules: [])
        var journalBroken = false
        var pacing = PollPacing(source)
        var outOfView: [String: Timestamp] = [:]
        var warnedNotFound: Set<String> = []
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            // The users themselves only matter to a source that checks vanished agents.
            let users = source.mode == .agentStatus || source.verifiesLogouts ? Set(tracker.floor.rows.map(\.state.user)) : []
            let known = KnownFloor(users: users, count: tracker.floor.count, outOfView: outOfView, now: .now(),
                                   dropPending: pacing.lastReason == .suspicious)
            let result = await client.poll(known: known)
            if Task.isCancelled && !onePoll { break }
            let time = Timestamp.now()
            var wait = source.interval
            var next = tracker
            var nextThresholds = thresholds
            var events: [Event]
            let report: PollReport
            switch result {
            case .success(let snapshot):
                if let reason = pacing.succeeded() {
                    logger.notice("polling recovered", metadata: ["source": "\(source.name)", "after": "\(reason.rawValue)"])
                }
                for agent in snapshot.notFound where warnedNotFound.insert(agent).inserted {
                    logger.warning("\(PollFailure(.agentNotFound, "").advice) Kept as last seen: no logout.",
                                   metadata: ["source": "\(source.name)", "agent": "\(agent)"])
                }
                outOfView = snapshot.outOfView
                events = next.observe(snapshot.agents, keeping: snapshot.keeping, at: time)
                for c in nextThresholds.crossings(on: next.floor, at: time) { events.append(next.thresholdExceeded(c.agent, c.crossing, at: time)) }
                report = PollReport(source: source.name, time: time, failure: nil, agents: snapshot.agents.count)
            case .failure(let failure):
                events = next.fail(reason: failure.reason.rawValue, message: failure.message, at: time)
                report = PollReport(source: source.name, time: time, failure: failure, agents: tracker.floor.count)
                let (backoff, isNews) = pacing.failed(failure)
                wait = backoff
                if isNews {
                    var metadata: Logger.Metadata = ["source": "\(source.name)", "reason": "\(failure.reason.rawValue)",
                                                     "detail": "\(failure.message)"]
                    if failure.isCredentialProblem { metadata["next_attempt_in"] = "\(ConfigDuration.format(wait))" }
                    logger.error("poll failed: \(failure.advice)", metadata: metadata)
                } else {
                    logger.debug("poll failed again", metadata: ["source": "\(source.name)", "reason": "\(failure.reason.rawValue)"])
                }
            }
            let encoded = events.map(EncodedEvent.init)
            var nextHeartbeats = heartbeats
            var addressed: [(sink: String, event: EncodedEvent)] = []
            for i in nextHeartbeats.indices {
                nextHeartbeats[i].given(encoded)
                guard report.failure == nil else { continue }  // a failed poll knows no current state
                let due = nextHeartbeats[i].due(on: next.floor, at: time).map { EncodedEvent(next.heartbeat($0, at: time)) }
                nextHeartbeats[i].given(due)
                addressed += due.map { (nextHeartbeats[i].sink, $0) }
            }
            var committed = false
            var position: Int64?
            if encoded.isEmpty && addressed.isEmpty {
                tracker = next
                heartbeats = nextHeartbeats
                thresholds = nextThresholds
            } else {
                do {
                    let changes = events.compactMap { e -> AgentChange? in
                        if case .agent(let c, _) = e.payload { return c }
                        return nil
                    }
                    position = try await journal.commit(source: source.name, events: encoded, addressed: addressed,
                                                        changes: changes, at: time, lastSequence: next.lastSequence)
                    tracker = next
                    heartbeats = nextHeartbeats
                    thresholds = nextThresholds
                    committed = true
                    if journalBroken { logger.notice("journal writable again: polling resumed", metadata: ["source": "\(source.name)"]) }
                    journalBroken = false
                } catch {
                    if !journalBroken {
                        let full = (error as? JournalError)?.isDiskFull == true
                        logger.critical("\(full ? "the disk is full: " : "")cannot write the journal; polling paused, no event dropped",
                                        metadata: ["source": "\(source.name)", "error": "\(error)"])
                    }
                    journalBroken = true
                    wait = max(wait, 1)
                }
            }
            var full = report
            full.duration = (clock.now - started).seconds
            full.events = events.map(\.type) + addressed.map(\.event.type)
            full.journalWritable = !journalBroken
            full.floor = tracker.floor
            full.position = position
            await polled(committed, full)
            if onePoll { return }
            let deadline = started.advanced(by: .milliseconds(Int64(wait * 1000)))
            try? await Task.sleep(until: deadline, clock: clock)
        }
    }
}

/// The outcome of one poll, for health, metrics and `run --once`.
public struct PollReport: Sendable {
    public var source: String
    public var time: Timestamp
    public var failure: PollFailure?
    public var agents: Int
    /// Seconds from the request to the commit.
    public var duration: Double = 0
    /// Types of the events the poll produced (committed or not: see `journalWritable`).
    public var events: [EventType] = []
    /// Agents by status on the committed floor.
    public var statuses: [String: Int] { floor.rows.reduce(into: [:]) { $0[$1.state.status, default: 0] += 1 } }
    public var journalWritable = true
    /// The source's floor as committed after this poll.
    public var floor = AgentFloor()
    /// The journal position of the poll's commit; `nil` when it committed nothing.
    public var position: Int64?

    init(source: String, time: Timestamp, failure: PollFailure?, agents: Int) {
        self.source = source
        self.time = time
        self.failure = failure
        self.agents = agents
    }
}

