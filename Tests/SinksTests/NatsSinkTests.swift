import Delivery
import Foundation
import Journal
import Logging
import NATS
import Sinks
import Synchronization
import TestSupport
import Testing
import VicinotifyCore

/// The NATS JetStream sink against real `nats-server -js` processes on loopback.
@Suite(.serialized) struct NatsSinkTests {
    static let stream = NATSStreamConfiguration(name: "VICIDIAL", subjects: ["vicidial.>"])

    static func configuration(_ servers: [String], stream: NATSStreamConfiguration? = NatsSinkTests.stream) -> NatsSinkConfiguration {
        var c = NatsSinkConfiguration(connection: NATSConnectionOptions(servers: servers))
        c.connection.connectTimeout = 2
        c.requestTimeout = 0.5
        c.maxInFlight = 64
        c.stream = stream
        return c
    }

    /// Every message of `stream`, in stream order (waits until none arrives for half a second).
    static func contents(of stream: String, at servers: [String], user: String? = nil,
                         password: String? = nil) async throws -> [NATSConsumer.Received] {
        var options = NATSConnectionOptions(servers: servers)
        options.user = user
        options.password = password
        let nc = try await NATSConnection.connect(options)
        // In a cluster that just lost a node, making a consumer can time out while its leader is elected.
        var consumer: NATSConsumer?
        var attempts = 0
        while consumer == nil {
            attempts += 1
            do {
                consumer = try await NATSConsumer.open(on: nc, stream: stream, subject: ">", from: .all)
            } catch {
                if !error.isTimeout || attempts == 6 { throw error }
            }
        }
        guard let consumer else { return [] }
        var out: [NATSConsumer.Received] = []
        while let m = try await consumer.next(timeout: 1) { out.append(m) }
        await consumer.close()
        await nc.close()
        return out
    }

    /// The stream holds exactly the journal's events: once each, byte for byte, each agent's in order.
    static func expectExactlyOnce(_ stored: [NATSConsumer.Received], journal: [JournaledEvent], sourceLocation: SourceLocation = #_sourceLocation) {
        let byID = Dictionary(grouping: stored) { m in
            ((try? JSONSerialization.jsonObject(with: Data(m.data))) as? [String: Any])?["id"] as? String ?? ""
        }
        #expect(stored.count == journal.count, "\(stored.count) stored for \(journal.count) journaled", sourceLocation: sourceLocation)
        #expect(byID.values.allSatisfy { $0.count == 1 }, "no event stored twice", sourceLocation: sourceLocation)
        #expect(journal.allSatisfy { byID[$0.event.id]?.first?.data == $0.event.json }, "byte-identical", sourceLocation: sourceLocation)
        let order = Dictionary(grouping: journal.map(\.event), by: \.subject).mapValues { $0.map(\.id) }
        let storedOrder = Dictionary(grouping: stored.compactMap { m -> (String, String)? in
            guard let e = (try? JSONSerialization.jsonObject(with: Data(m.data))) as? [String: Any] else { return nil }
            return (e["subject"] as? String ?? "", e["id"] as? String ?? "")
        }, by: \.0).mapValues { $0.map(\.1) }
        #expect(order == storedOrder, "each agent's events in order", sourceLocation: sourceLocation)
    }

    @Test func everyEventOnceThroughAPauseAndARestart() async throws {
        let server = try await NATSServerProcess.start()
        let logs = CapturedLogs()
        let sink = OutcomeCounter(NatsSink(configuration: Self.configuration([server.url]), logger: logs.logger()))
        let pipeline = try await Pipeline([sink], logger: logs.logger())
        func delivered() async throws -> Bool { await sink.waitForCursor(pipeline.journal, try await pipeline.journal.lastPosition(), timeout: 60) }
        var committed = try await pipeline.poll(agents: 300).count
        #expect(try await delivered())
        for _ in 0..<2 {
            server.pause()  // acknowledgments stop past the 0.5 s timeout; publishes pile up unanswered
            committed += try await pipeline.poll(agents: 300).count
            try await Task.sleep(for: .milliseconds(1500))
            server.resume()
            #expect(try await delivered())
        }
        committed += try await pipeline.poll(agents: 300).count
        await server.kill()  // a crash with a batch in flight: the connection is cut; file storage keeps what was acknowledged
        try await Task.sleep(for: .milliseconds(700))
        try await server.start()
        let last = try await pipeline.journal.lastPosition()
        #expect(await sink.waitForCursor(pipeline.journal, last, timeout: 60), "everything delivered")
        let journal = try await pipeline.journal.allEvents()
        let stored = try await Self.contents(of: "VICIDIAL", at: [server.url])
        Self.expectExactlyOnce(stored, journal: journal)
        let (events, failed) = sink.counts
        print("NATS faults: \(failed) of \(events) events failed at least once (\(failed * 100 / max(1, events)) %), \(committed) committed")
        #expect(failed * 10 >= events * 3, "at least 30 % of the events failed at least once")
        #expect(logs.text.contains("delivery failed; will retry") && logs.text.contains("delivery resumed"))
        pipeline.stop()
        await server.remove()
    }
}

extension NatsSinkTests {
    @Test func aClusterLosesItsStreamLeaderMidStreamAndNothingIsLostOrDoubled() async throws {
        let nodes = try await NATSServerProcess.cluster()
        let servers = nodes.map(\.url)
        var stream = Self.stream
        stream.replicas = 3
        var config = Self.configuration(servers, stream: stream)
        config.requestTimeout = 1
        let logs = CapturedLogs()
        let sink = OutcomeCounter(NatsSink(configuration: config, logger: logs.logger()))
        let pipeline = try await Pipeline([sink], logger: logs.logger())
        func delivered() async throws -> Bool { await sink.waitForCursor(pipeline.journal, try await pipeline.journal.lastPosition(), timeout: 90) }
        try await pipeline.poll(agents: 200)
        #expect(try await delivered(), "the stream was created with 3 replicas and took the first poll")
        let admin = try await NATSConnection.connect(NATSConnectionOptions(servers: servers))
        let leader = try #require(try await admin.streamState("VICIDIAL").leader)
        let victim = try #require(nodes.first { $0.name == leader })
        try await pipeline.poll(agents: 200)
        await victim.kill()  // mid-stream: the poll's batch is in flight
        for _ in 0..<3 { try await pipeline.poll(agents: 200) }
        try await victim.start()
        try await pipeline.poll(agents: 200)
        #expect(try await delivered(), "everything delivered after the leader's loss")
        let newLeader = try await admin.streamState("VICIDIAL").leader
        await admin.close()
        let survivors = nodes.filter { $0.name != leader }.map(\.url)
        Self.expectExactlyOnce(try await Self.contents(of: "VICIDIAL", at: survivors), journal: try await pipeline.journal.allEvents())
        print("NATS cluster: leader \(leader) killed, then \(newLeader ?? "?") led; \(sink.counts.failed) of \(sink.counts.events) events failed at least once")
        #expect(logs.text.contains("delivery failed; will retry") || logs.text.contains("NATS connection lost"), "the failure is logged")
        #expect(logs.text.contains("delivery resumed") || logs.text.contains("NATS reconnected"), "and the recovery")
        pipeline.stop()
        for n in nodes { await n.remove() }
    }
}

extension NatsSinkTests {
    /// Lines at notice level or above (what an operator sees by default) that contain `needle`.
    static func occurrences(_ needle: String, in text: String) -> Int {
        text.split(separator: "\n").filter { !$0.hasPrefix("debug") && !$0.hasPrefix("trace") && $0.contains(needle) }.count
    }

    @Test func aMissingStreamIsSaidOnceKeepsEverythingAndDeliversOnceItExists() async throws {
        let server = try await NATSServerProcess.start()
        let logs = CapturedLogs()
        let nats = OutcomeCounter(NatsSink(configuration: Self.configuration([server.url], stream: nil), logger: logs.logger()))
        let other = RecordingSink(name: "other")
        let pipeline = try await Pipeline([nats, other], logger: logs.logger())
        for _ in 0..<3 { try await pipeline.poll(agents: 40) }
        #expect(await other.wait { $0.count == 120 }, "another sink is not held back")
        #expect(await logs.wait { $0.contains { $0.contains("no JetStream stream takes the subjects vicidial.src.*") } })
        #expect(try await nats.waitForAttempts(3), "retried a few times")
        #expect(Self.occurrences("no JetStream stream takes the subjects vicidial.src.*", in: logs.text) == 1, "said once, however many retries")
        let admin = try await NATSConnection.connect(NATSConnectionOptions(servers: [server.url]))
        try await admin.ensureStream(Self.stream)
        await admin.close()
        #expect(await nats.waitForCursor(pipeline.journal, try await pipeline.journal.lastPosition(), timeout: 30))
        Self.expectExactlyOnce(try await Self.contents(of: "VICIDIAL", at: [server.url]), journal: try await pipeline.journal.allEvents())
        #expect(logs.text.contains("delivery resumed"))
        pipeline.stop()
        await server.remove()
    }

    @Test func wrongCredentialsAreSaidOnceNeverShownAndFixingThemDeliversEverythingOnce() async throws {
        let server = try await NATSServerProcess.start(user: "vicinotify", password: "right-Secret-91")
        let logs = CapturedLogs()
        var wrong = Self.configuration([server.url])
        wrong.connection.user = "vicinotify"
        wrong.connection.password = "wrong-Secret-17"
        let bad = OutcomeCounter(NatsSink(configuration: wrong, logger: logs.logger()))
        let other = RecordingSink(name: "other")
        let pipeline = try await Pipeline([bad, other], logger: logs.logger())
        for _ in 0..<2 { try await pipeline.poll(agents: 30) }
        #expect(await other.wait { $0.count == 60 }, "another sink is not held back")
        #expect(try await bad.waitForAttempts(3))
        #expect(Self.occurrences("delivery failed; will retry", in: logs.text) == 1, "said once: \(logs.text.suffix(600))")
        #expect(logs.text.lowercased().contains("authoriz"), "the reason is the server's: \(logs.text.suffix(400))")
        #expect(!logs.text.contains("wrong-Secret-17") && !logs.text.contains("right-Secret-91"), "no password in the log")
        // Fixed (as a restart with the right password would): the same sink's cursor goes on from where it stood.
        pipeline.tasks[0].cancel()
        var right = wrong
        right.connection.password = "right-Secret-91"
        let good = OutcomeCounter(NatsSink(configuration: right, logger: logs.logger()))
        let queue = DeliveryQueue(sink: good, journal: pipeline.journal, policy: RetryPolicy(initial: 0.02, maxDelay: 0.2, maxAge: 3600),
                                  logger: logs.logger())
        let task = Task { await queue.run() }
        queue.notify()
        #expect(await good.waitForCursor(pipeline.journal, try await pipeline.journal.lastPosition(), timeout: 30))
        Self.expectExactlyOnce(try await Self.contents(of: "VICIDIAL", at: [server.url], user: "vicinotify", password: "right-Secret-91"),
                               journal: try await pipeline.journal.allEvents())
        task.cancel()
        pipeline.stop()
        await server.remove()
    }
}

/// Wraps a sink and counts the events it was given and those that failed at least once.
final class OutcomeCounter: EventSink {
    let inner: any EventSink
    private let tally = Mutex((seen: Set<String>(), failed: Set<String>(), batches: 0))
    init(_ inner: any EventSink) { self.inner = inner }
    var name: String { inner.name }
    var batching: SinkBatching { inner.batching }
    var filter: EventFilter { inner.filter }
    func close() async { await inner.close() }
    var counts: (events: Int, failed: Int) { tally.withLock { ($0.seen.count, $0.failed.count) } }

    func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        let outcomes = await inner.deliver(batch)
        tally.withLock { t in
            t.batches += 1
            for (e, o) in zip(batch, outcomes) {
                t.seen.insert(e.id)
                if o != .delivered { t.failed.insert(e.id) }
            }
        }
        return outcomes
    }

    /// Waits until at least `count` batches were attempted.
    func waitForAttempts(_ count: Int, timeout: Double = 20) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if tally.withLock({ $0.batches }) >= count { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits until the sink's cursor reaches `position`.
    func waitForCursor(_ journal: Journal, _ position: Int64, timeout: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if (try? await journal.cursor(sink: name)) ?? 0 >= position { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
