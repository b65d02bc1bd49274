import Foundation
import Journal
import TestSupport
import Testing
import VicinotifyCore

/// `dead-letters` and `replay` against a real journal.
@Suite struct JournalCommandTests {
    @Test func deadLettersAndReplay() async throws {
        let dir = TemporaryDirectory("vn-dl")
        defer { dir.remove() }
        let config = dir.file("config.json")
        try Data(#"{"state_dir": "state", "sources": [{"name": "s", "url": "http://127.0.0.1:9/x", "user": "u", "password_env": "UNSET_FOR_THIS_TEST"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: config))
        do {
            let journal = try Journal(directory: dir.file("state"))
            _ = try await journal.cursor(sink: "stdout")
            var tracker = SourceTracker(name: "s", eventSource: "vicidial://s", redactedURL: "")
            let time = Timestamp.now()
            let events = tracker.observe([AgentState(user: "a1", status: "READY"), AgentState(user: "a2", status: "PAUSED")], at: time)
                .map(EncodedEvent.init)
            try await journal.commit(source: "s", events: events, changes: [], at: time, lastSequence: tracker.lastSequence)
            let stored = try await journal.events(for: "stdout", after: 0, limit: 10)
            try await journal.record(sink: "stdout", cursor: stored[1].position, retrying: [:], finished: [], dead: [
                DeadLetter(sink: "stdout", position: stored[0].position, event: stored[0].event, attempts: 4,
                           lastError: "HTTP 404", deadAt: time)])
        }
        let list = try await CommandLineTests.run(["dead-letters", "list", "--config", config])
        #expect(list.status == 0, "\(list.stderr)")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        #expect(line["sink"] as? String == "stdout")
        #expect(line["attempts"] as? Int == 4)
        #expect(line["last_error"] as? String == "HTTP 404")
        #expect((line["event"] as? [String: Any])?["subject"] as? String == "a1")

        #expect(try await CommandLineTests.run(["dead-letters", "retry", "--config", config]).stdout == "1 dead letter queued again\n")
        #expect(try await CommandLineTests.run(["dead-letters", "list", "--config", config]).stdout == "")
        #expect(try await CommandLineTests.run(["replay", "--config", config, "--sink", "stdout", "--since", "2"]).stdout
                == "1 event queued for stdout\n")
        let bad = try await CommandLineTests.run(["replay", "--config", config, "--sink", "stdout", "--since", "yesterday"])
        #expect(bad.status != 0)
        let queued = try await Journal(directory: dir.file("state")).events(for: "stdout", after: 2, limit: 10)
        #expect(queued.map(\.event.subject) == ["a1", "a2"], "the retried dead letter, then the replayed event")
        #expect(try await Journal(directory: dir.file("state")).events(for: "other", after: 2, limit: 10).isEmpty)
        for args in [["replay", "--sink", "webhook:nope", "--since", "1"], ["dead-letters", "list", "--sink", "stdot"]] {
            let r = try await CommandLineTests.run(args + ["--config", config])
            #expect(r.status == 2, "\(args): a sink the configuration does not define")
            #expect(r.stderr.contains("no sink named"))
        }
    }
}
