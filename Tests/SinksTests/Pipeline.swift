import Delivery
import Journal
import Logging
import TestSupport
import VicinotifyCore

/// A journal with registered sinks, and polls committed on demand.
final class Pipeline: @unchecked Sendable {
    let dir = TemporaryDirectory()
    let journal: Journal
    var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 7)
    var step = 0
    var queues: [DeliveryQueue] = []
    var tasks: [Task<Void, Never>] = []

    init(_ sinks: [any EventSink], logger: Logger = Logger(label: "test"), policy: RetryPolicy = RetryPolicy(initial: 0.02, maxDelay: 0.2, maxAge: 3600)) async throws {
        journal = try Journal(directory: dir.path)
        for s in sinks {
            _ = try await journal.cursor(sink: s.name)
            queues.append(DeliveryQueue(sink: s, journal: journal, policy: policy, logger: logger))
        }
        tasks = queues.map { q in Task { await q.run() } }
    }

    /// One poll in which every agent's status changes; returns its events.
    @discardableResult
    func poll(agents: Int, campaign: (Int) -> String = { _ in "SALES" }) async throws -> [EncodedEvent] {
        step += 1
        let time = Timestamp(millisecondsSince1970: 1_795_500_000_000 + Int64(step) * 1000)
        let floor = (0..<agents).map {
            AgentState(user: "a\($0)", status: step % 2 == 0 ? "READY" : "INCALL", campaignID: campaign($0),
                       callsToday: step, userGroup: "AGENTS")
        }
        let events = tracker.observe(floor, at: time).map(EncodedEvent.init)
        try await journal.commit(source: "src", events: events, changes: [], at: time, lastSequence: tracker.lastSequence)
        for q in queues { q.notify() }
        return events
    }

    func stop() {
        for t in tasks { t.cancel() }
        dir.remove()
    }
}
