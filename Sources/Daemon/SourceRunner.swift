import CurlHTTP
import Journal
import Logging
import VICIdial
import VicinotifyCore

/// Polls one source on its schedule, never two polls at once: asks VICIdial, hands the result to its
/// `PollStep` (which decides), commits the plan's events with the snapshot, logs what the step says and
/// sleeps for the step's wait. Only I/O here.
struct SourceRunner: Sendable {
    let client: any FloorReader
    let journal: Journal
    let logger: Logger

    /// Runs until the task is cancelled; after every poll calls `polled` with whether events were committed.
    func run(step initial: PollStep, onePoll: Bool = false, polled: @Sendable (_ committed: Bool, PollReport) async -> Void) async {
        var step = initial
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            let result = await client.poll(known: step.known(now: .now()))
            if Task.isCancelled && !onePoll { break }
            let plan = step.plan(result, at: .now())
            log(plan.logs)
            var wait = plan.wait
            var committed = false
            var position: Int64?
            if plan.isEmpty {
                log(step.committed(plan))
            } else {
                do {
                    position = try await journal.commit(source: step.source.name, events: plan.events, addressed: plan.addressed,
                                                        changes: plan.changes, at: plan.report.time,
                                                        lastSequence: plan.lastSequence)
                    log(step.committed(plan))
                    committed = true
                } catch {
                    let refused = step.refused(plan, error: "\(error)", diskFull: (error as? JournalError)?.isDiskFull == true)
                    log(refused.logs)
                    wait = refused.wait
                }
            }
            var report = plan.report
            report.duration = (clock.now - started).seconds
            report.events = plan.events.map(\.type) + plan.addressed.map(\.event.type)
            report.journalWritable = !step.journalBroken
            report.floor = step.tracker.floor
            report.position = position
            if case .success(let snapshot) = result { report.lag = snapshot.lag }
            await polled(committed, report)
            if onePoll { return }
            try? await Task.sleep(until: started.advanced(by: .milliseconds(Int64(wait * 1000))), clock: clock)
        }
    }

    private func log(_ lines: [PollStep.Log]) {
        for line in lines {
            logger.log(level: line.level, "\(line.message)", metadata: line.metadata.mapValues { .string($0) })
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
    /// The database source's replica lag in seconds, when it read one.
    public var lag: Double?
    /// The watched queues' figures, when this poll read them.
    public var queues: [QueueState]?

    init(source: String, time: Timestamp, failure: PollFailure?, agents: Int) {
        self.source = source
        self.time = time
        self.failure = failure
        self.agents = agents
    }
}

