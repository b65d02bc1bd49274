import Foundation
import TestSupport
import Testing

/// Every sink kind opened, used and dropped ten times leaves no thread behind (a dropped NATS connection
/// used to keep its thread: 7 → 25 threads after five). Counted in a `vicinotify-bench lifecycle` process of
/// its own, against real servers, so that the other tests' threads do not move the count.
@Suite struct SinkLifecycleTests {
    static var bench: String { CommandLineTests.binary.deletingLastPathComponent().appendingPathComponent("vicinotify-bench").path }

    @Test(arguments: [false, true])
    func openingAndDroppingEachSinkKindLeavesNoThread(_ close: Bool) async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        let nats = try await NATSServerProcess.start()
        defer { Task { await nats.remove() } }
        let dir = TemporaryDirectory("vn-lifecycle")
        defer { dir.remove() }
        try Data(#"{"endpoints": [{"name": "crm", "url": "\#(receiver.url("/hook"))"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: dir.file("hooks.json")))
        try Data("""
            {"state_dir": "state", "sources": [{"name": "s", "url": "http://127.0.0.1:9/vicidial/non_agent_api.php", "user": "u", "password": "p"}],
             "sinks": {"stdout": {"enabled": false}, "webhooks_file": "hooks.json",
                       "postgres": {"conninfo": "\(TestPostgres.conninfo)", "password_env": "LIFECYCLE_PG_PASS", "apply_schema": true},
                       "nats": {"servers": ["\(nats.url)"]}}}
            """.utf8).write(to: URL(fileURLWithPath: dir.file("config.json")))
        let p = try Child(Self.bench, ["lifecycle", "--config", dir.file("config.json"), "--cycles", "10"] + (close ? ["--close"] : []),
                          environment: ["LIFECYCLE_PG_PASS": TestPostgres.password], stderr: .null)
        let text = await CommandLineTests.read(p.standardOutput!) { _ in }
        await p.exited()
        #expect(p.terminationStatus == 0)
        let rows = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(Set(rows.compactMap { $0["sink"] as? String }) == ["webhook:crm", "postgres", "nats"], "\(text)")
        for row in rows {
            let before = row["threads_before"] as? Int ?? -1, after = row["threads_after"] as? Int ?? -2
            #expect(after <= before, "\(row["sink"] ?? "?") kept threads: \(before) → \(after) after 10 cycles (close: \(close))")
        }
        #expect(try await receiver.receipts("/hook").count >= 10, "the webhook sink did deliver in each cycle")
    }
}

/// The hand-overs on an event's way, counted by `vicinotify-bench handovers` from marks the real daemon
/// makes: issue 28's ceilings (a webhook request ≤ 8, an SSE socket ≤ 5; 13 and 7 before the journal feed).
@Suite struct HandOverTests {
    @Test func anEventReachesAWebhookAndAnSSESocketWithinTheCeilings() async throws {
        let p = try Child(SinkLifecycleTests.bench, ["handovers", "--events", "3"], stderr: .null)
        let text = await CommandLineTests.read(p.standardOutput!) { _ in }
        await p.exited()
        #expect(p.terminationStatus == 0, "\(text)")
        let summary = text.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Int] }
        let webhook = try #require(summary?["webhook_max"], "\(text)"), sse = try #require(summary?["sse_max"], "\(text)")
        #expect((1...8).contains(webhook), "\(text)")
        #expect((1...5).contains(sse), "\(text)")
    }
}
