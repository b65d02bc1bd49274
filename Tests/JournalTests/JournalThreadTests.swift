import Foundation
@testable import Journal
import TestSupport
import Testing
import VicinotifyCore
import WorkerThreads

@Suite struct JournalThreadTests {
    @Test func noThreadOutlivesItsJournal() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var threads: [WorkerThread] = []
        for _ in 0..<20 {
            let journal = try Journal(directory: dir.path)
            var tracker = SourceTracker(name: "s", eventSource: "vicidial://s", redactedURL: "")
            let time = Timestamp.now()
            let events = tracker.observe([AgentState(user: "a", status: "READY")], at: time).map(EncodedEvent.init)
            try await journal.commit(source: "s", events: events, changes: [], at: time, lastSequence: tracker.lastSequence)
            threads += journal.workers
        }
        #expect(threads.count == 60)
        let ended = await Task.detached { threads.filter { $0.waitUntilEnded(timeout: 10) }.count }.value
        #expect(ended == 60, "\(60 - ended) threads outlived their journals")
    }
}
