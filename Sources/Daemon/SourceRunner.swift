import CurlHTTP
import Logging
import VICIdial
import VicinotifyCore

/// Polls one source on its schedule, never two polls at once, and turns each poll into events.
/// A failed poll yields no agent events; login errors back off for minutes so VICIdial does not lock
/// the API user out, and each new kind of failure is logged once, clearly.
struct SourceRunner: Sendable {
    let client: VICIdialClient
    let eventSource: String
    let logger: Logger

    var source: VICIdialSource { client.source }

    /// Runs until the task is cancelled; hands every poll's events (possibly none) to `publish`.
    func run(tracker initial: SourceTracker? = nil, onePoll: Bool = false,
             publish: @Sendable ([EncodedEvent], PollReport) async -> Void) async {
        var tracker = initial ?? SourceTracker(name: source.name, eventSource: eventSource, redactedURL: client.redactedURL,
                                               downAfter: source.downAfter)
        var credentialFailures = 0
        var lastReason: PollFailure.Reason?
        var warnedUnknown: Set<String> = []
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            let result = await client.poll()
            if Task.isCancelled && !onePoll { break }
            let time = Timestamp.now()
            var wait = source.interval
            let events: [Event]
            let report: PollReport
            switch result {
            case .success(let snapshot):
                if let reason = lastReason {
                    logger.notice("polling recovered", metadata: ["source": "\(source.name)", "after": "\(reason.rawValue)"])
                }
                lastReason = nil
                credentialFailures = 0
                for agent in snapshot.unknownAgents where warnedUnknown.insert(agent).inserted {
                    logger.warning("VICIdial does not know this agent; check the source's agents list",
                                   metadata: ["source": "\(source.name)", "agent": "\(agent)"])
                }
                events = tracker.observe(snapshot.agents, at: time)
                report = PollReport(source: source.name, time: time, failure: nil, agents: snapshot.agents.count)
            case .failure(let failure):
                events = tracker.fail(reason: failure.reason.rawValue, message: failure.message, at: time)
                report = PollReport(source: source.name, time: time, failure: failure, agents: tracker.floor.count)
                if failure.isCredentialProblem {
                    credentialFailures += 1
                    let exponent = Double(min(credentialFailures - 1, 16))
                    wait = min(source.authBackoff * Double(1 << Int(exponent)), max(source.authBackoffMax, source.authBackoff))
                    if failure.reason == .lockedOut { wait = max(wait, 15 * 60) }
                }
                if failure.reason != lastReason {
                    var metadata: Logger.Metadata = ["source": "\(source.name)", "reason": "\(failure.reason.rawValue)",
                                                     "detail": "\(failure.message)"]
                    if failure.isCredentialProblem { metadata["next_attempt_in"] = "\(ConfigDuration.format(wait))" }
                    logger.error("poll failed: \(failure.advice)", metadata: metadata)
                } else {
                    logger.debug("poll failed again", metadata: ["source": "\(source.name)", "reason": "\(failure.reason.rawValue)"])
                }
                lastReason = failure.reason
            }
            await publish(events.map(EncodedEvent.init), report)
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
}
