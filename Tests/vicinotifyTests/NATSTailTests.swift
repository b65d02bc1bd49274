import Foundation
import NATS
import TestSupport
import Testing
import VicinotifyCore

/// `vicinotify tail --nats` against a real nats-server: catch-up, then live, across a server restart.
@Suite(.serialized) struct NATSTailTests {
    /// `count` events of a small floor changing, as the sink would publish them.
    static func events(_ count: Int, tracker: inout SourceTracker, from step: Int) -> [EncodedEvent] {
        var out: [EncodedEvent] = []
        var i = step
        while out.count < count {
            let floor = (0..<10).map { AgentState(user: "agent\($0)", status: i % 2 == 0 ? "READY" : "PAUSED", campaignID: "SALES") }
            out += tracker.observe(floor, at: Timestamp(millisecondsSince1970: 1_795_500_000_000 + Int64(i) * 1000)).map(EncodedEvent.init)
            i += 1
        }
        return out
    }

    static func publish(_ events: [EncodedEvent], to server: NATSServerProcess) async throws {
        let nc = try await NATSConnection.connect(NATSConnectionOptions(servers: [server.url]))
        try await nc.ensureStream(NATSStreamConfiguration(name: "VICIDIAL", subjects: ["vicidial.>"]))
        let results = await nc.publish(events.map { .init(subject: "vicidial.sim.agent.\($0.subject)", id: $0.id, data: $0.json) }, timeout: 5)
        await nc.close()
        #expect(results.allSatisfy { (try? $0.get()) != nil }, "published")
    }

    @Test func catchesUpAndFollowsAcrossARestartWithNoGapAndNoDuplicate() async throws {
        let server = try await NATSServerProcess.start()
        var tracker = SourceTracker(name: "sim", eventSource: "vicidial://sim", redactedURL: "", idSeed: 11)
        let first = Self.events(40, tracker: &tracker, from: 0)
        try await Self.publish(first, to: server)
        let tail = try HardeningCommandTests.Daemon.start(["tail", "--nats", server.url, "--stream", "VICIDIAL", "--since", "0", "--json"])
        #expect(await tail.line(first.last!.id, stdout: true, timeout: 20) != nil, "caught up")
        await server.kill()
        try await server.start()
        let second = Self.events(40, tracker: &tracker, from: 100)
        try await Self.publish(second, to: server)
        #expect(await tail.line(second.last!.id, stdout: true, timeout: 60) != nil, "followed after the restart: \(tail.stderr.text)")
        let lines = tail.stdout.text.split(separator: "\n").map(String.init)
        let expected = (first + second).map { String(decoding: $0.json, as: UTF8.self) }
        // One publish call sends a batch at once, so the stream's order within a batch is the server's.
        #expect(lines.count == expected.count && Set(lines) == Set(expected), "every event once, byte for byte: \(lines.count) lines")
        #expect(Set(lines.prefix(first.count)) == Set(first.map { String(decoding: $0.json, as: UTF8.self) }), "the catch-up came first")
        #expect(tail.stderr.text.contains("reconnected"), "the reconnect is said")
        _ = await tail.stop()
        await server.remove()
    }
}
