import Journal
import VicinotifyCore

/// The synthetic floor the benchmarks poll: every agent flips between READY and INCALL at each step.
enum BenchFloor {
    static func agents(_ count: Int, step: Int) -> [AgentState] {
        (0..<count).map {
            AgentState(user: "agent\($0)", status: step % 2 == 0 ? "READY" : "INCALL", leadID: Int64(step),
                       campaignID: "SALES", fullName: "Agent \($0)", userGroup: "AGENTS")
        }
    }

    /// The poll time of `step`, one second apart.
    static func time(step: Int) -> Timestamp {
        Timestamp(millisecondsSince1970: 1_795_500_000_000 + Int64(step) * 1000)
    }

    /// Commits polls of `agents` agents until the journal holds `events` of their events; returns them.
    static func fill(_ journal: Journal, events: Int, agents: Int, idSeed: UInt64) async throws -> [EncodedEvent] {
        var tracker = SourceTracker(name: "bench", eventSource: "vicidial://bench", redactedURL: "", idSeed: idSeed)
        var all: [EncodedEvent] = []
        var step = 0
        while all.count < events {
            step += 1
            let time = time(step: step)
            let batch = Array(tracker.observe(Self.agents(agents, step: step), at: time).map(EncodedEvent.init).prefix(events - all.count))
            try await journal.commit(source: "bench", events: batch, changes: [], at: time, lastSequence: tracker.lastSequence)
            all += batch
        }
        return all
    }
}
