import Daemon
import Foundation
import Logging
import Postgres
import Sinks
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// The whole pipeline against the simulator: sources polled, events delivered, failures handled.
@Suite struct DaemonTests {
    static let password = "daemon-Secret-42"

    func configuration(_ sim: RunningSimulator, interval: Double = 0.1, _ configure: (inout VICIdialSource) -> Void = { _ in }) -> Configuration {
        var s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: Self.password, interval: interval, timeout: 5)
        s.downAfter = 2
        configure(&s)
        return Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: s, eventSource: "vicidial://sim")])
    }

    func types(_ events: [EncodedEvent]) -> [String] { events.map(\.type.rawValue) }

    @Test func changesFlowToTheSinkAndFailuresNeverLogAgentsOut() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        try await sim.auth(["password": Self.password])
        let logs = CapturedLogs()
        let sink = RecordingSink()
        let daemon = Daemon(configuration: configuration(sim), sinks: [sink], logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 2) }

        #expect(await sink.wait { $0.count == 3 }, "three logins")
        try await sim.set("agent002", ["status": "INCALL", "lead_id": 42, "callerid": "M1124000000000000042"])
        #expect(await sink.wait { $0.contains { $0.type == .statusChanged && $0.subject == "agent002" } })

        // A VICIdial outage: HTTP 500s, then an HTML page. Down is reported, nobody logs out.
        try await sim.fault(["status": 500, "count": 0])
        #expect(await sink.wait { $0.contains { $0.type == .sourceDown } })
        try await sim.logout("agent003")  // during the outage: seen by the first poll after it
        try await sim.control(.delete, "/sim/fault")
        #expect(await sink.wait { $0.contains { $0.type == .sourceUp } })
        #expect(await sink.wait { $0.contains { $0.type == .loggedOut } })
        run.cancel()
        _ = try await run.value
        await sim.stop()

        let events = await sink.events
        let json = await sink.events.jsonObjects
        #expect(types(events).filter { $0 == "vicidial.agent.logged_out" }.count == 1, "only the real logout")
        #expect(events.last(where: { $0.type == .loggedOut })?.subject == "agent003")
        let afterOutage = try #require(json.first { ($0["type"] as? String) == "vicidial.agent.logged_out" })
        #expect((afterOutage["data"] as? [String: Any])?["after_gap"] as? Bool == true, "the first poll after an outage is marked")
        let sequences = events.map(\.sequence)
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
        #expect(!logs.text.contains(Self.password))
        #expect(!events.contains { String(decoding: $0.json, as: UTF8.self).contains(Self.password) })
    }

    @Test func webhookEndpointsGetEveryEventAndAFailingOneDisturbsNobody() async throws {
        let secret = "whsec_" + Data(repeating: 42, count: 32).base64EncodedString()
        let sim = try await RunningSimulator.start(agents: 4)
        try await sim.auth(["password": Self.password])
        let receiver = try await WebhookReceiver.start(secrets: [secret])
        defer { receiver.stop() }
        try await receiver.behave("/broken", ["status": 500])
        let logs = CapturedLogs()
        var config = configuration(sim)
        let signer = try WebhookSigner(secrets: secret)
        config.sinks = [WebhookEndpoint(name: "crm", url: receiver.url("/crm"), signer: signer),
                        WebhookEndpoint(name: "broken", url: receiver.url("/broken"), signer: signer)]
        let recording = RecordingSink()
        let sinks: [any EventSink] = [recording] + config.sinks(of: WebhookEndpoint.self).map { WebhookSink(endpoint: $0) }
        let daemon = Daemon(configuration: config, sinks: sinks, logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }

        #expect(await recording.wait { $0.count == 4 })
        try await sim.set("agent001", ["status": "PAUSED", "pause_code": "LUNCH"])
        #expect(await recording.wait { $0.count == 5 })
        #expect(try await receiver.waitForAccepted(5, at: "/crm"))
        run.cancel()
        _ = try await run.value
        await sim.stop()

        let crm = try await receiver.receipts("/crm")
        #expect(crm.flatMap(\.eventIDs) .sorted() == (await recording.events).map(\.id).sorted())
        #expect(crm.allSatisfy { $0.signaturesValid == 1 })
        #expect(try await receiver.receipts("/broken").count >= 4, "the broken endpoint was tried")
        #expect(logs.text.contains("sink=webhook:broken"))
        #expect(!logs.text.contains(secret) && !logs.text.contains(String(secret.dropFirst(6))))
    }

    @Test func wrongPasswordBacksOffForMinutesAndSaysSoOnce() async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        try await sim.auth(["password": "the-right-one"])
        let logs = CapturedLogs()
        let sink = RecordingSink()
        let daemon = Daemon(configuration: configuration(sim, interval: 0.05) { $0.downAfter = 1 }, sinks: [sink], logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { $0.contains { $0.type == .sourceDown } })
        // Had it kept polling every 50 ms, several more requests would arrive while these control calls run.
        let first = try await sim.requests("logged_in_agents")
        for _ in 0..<20 { _ = try await sim.agents() }
        #expect(try await sim.requests("logged_in_agents") == first)
        run.cancel()
        _ = try await run.value
        await sim.stop()
        #expect(first == 1)
        let errors = logs.all.filter { $0.hasPrefix("error") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("VICIdial refused the API user's login") == true)
        #expect(errors.first?.contains("next_attempt_in=5m") == true)
        #expect(!logs.text.contains(Self.password))
        #expect(!logs.text.contains("the-right-one"))
        let down = await sink.events.jsonObjects.first
        #expect(((down?["data"] as? [String: Any])?["reason"] as? String) == "login_incorrect")
        #expect(((down?["data"] as? [String: Any])?["url"] as? String) == sim.apiURL, "no credentials in the URL")
    }

    @Test func severalSourcesEachOnTheirOwnSchedule() async throws {
        let a = try await RunningSimulator.start(agents: 2, seed: 1)
        let b = try await RunningSimulator.start(agents: 3, seed: 2)
        for sim in [a, b] { try await sim.auth(["password": Self.password]) }
        var sources = configuration(a).sources + configuration(b, interval: 0.2).sources
        sources[0].vicidial.name = "a"
        sources[0].eventSource = "vicidial://a"
        sources[1].vicidial.name = "b"
        sources[1].eventSource = "vicidial://b"
        let sink = RecordingSink()
        let daemon = Daemon(configuration: Configuration(stateDirectory: TemporaryDirectory().path, sources: sources), sinks: [sink],
                            logger: CapturedLogs().logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { $0.count == 5 })
        run.cancel()
        _ = try await run.value
        await a.stop()
        await b.stop()
        let json = await sink.events.jsonObjects
        #expect(json.filter { $0["source"] as? String == "vicidial://a" }.count == 2)
        #expect(json.filter { $0["source"] as? String == "vicidial://b" }.count == 3)
        #expect(json.filter { $0["source"] as? String == "vicidial://b" }.map { $0["sequence"] as? String }
                == ["000000000000000001", "000000000000000002", "000000000000000003"], "sequence is per source")
    }

    @Test func runOnceReportsEachSource() async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        try await sim.auth(["password": Self.password])
        let sink = RecordingSink()
        let reports = try await Daemon(configuration: configuration(sim), sinks: [sink], logger: CapturedLogs().logger()).run(once: true)
        await sim.stop()
        #expect(reports.count == 1)
        #expect(reports.first?.failure == nil)
        #expect(await sink.events.count == 2)
    }
}

/// A journal that cannot grow (a full disk, here its `journal.max_mb` cap filled with events a stuck sink
/// has not passed, so nothing can be pruned) pauses polling and drops nothing.
@Suite struct FullJournalTests {
    @Test func aFullJournalPausesPollingAndLosesNothing() async throws {
        let sim = try await RunningSimulator.start(agents: 30, seed: 4)
        defer { Task { await sim.stop() } }
        let state = TemporaryDirectory()
        defer { state.remove() }
        let source = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.05, timeout: 5)
        func configuration(maxBytes: Int?) -> Configuration {
            Configuration(stateDirectory: state.path, sources: [.init(vicidial: source, eventSource: "vicidial://sim")],
                          journalMaxBytes: maxBytes)
        }
        let logs = CapturedLogs()
        let first = RecordingSink(name: "out", hang: true)
        let full = Daemon(configuration: configuration(maxBytes: 300_000), sinks: [first], logger: logs.logger())
        let run = Task { try await full.run(drainTimeout: 1) }
        // The floor changes once per poll until the journal is full.
        for _ in 0..<500 where !logs.text.contains("cannot write the journal") {
            let polls = try await sim.requests("logged_in_agents")
            try await sim.control(.post, "/sim/tick", ["count": 1])
            #expect(try await sim.waitForRequests("logged_in_agents", atLeast: polls + 2))
        }
        run.cancel()
        _ = try await run.value
        let critical = logs.all.filter { $0.contains("cannot write the journal") }
        #expect(critical.count == 1, "said once, clearly")
        #expect(critical.first?.contains("the disk is full") == true)

        let truth = Self.floor(truthRows: try await sim.agents())
        let delivered = await first.events
        let second = RecordingSink(name: "out")
        let roomy = Daemon(configuration: configuration(maxBytes: nil), sinks: [second], logger: CapturedLogs().logger())
        let resumed = Task { try await roomy.run(drainTimeout: 1) }
        let caughtUp = await second.wait { Self.floor(delivered + $0) == truth }
        resumed.cancel()
        _ = try await resumed.value
        #expect(caughtUp, "the changes held back by the full journal come out once it has room")
        let all = delivered + (await second.events)
        #expect(Set(all.map(\.id)).count == all.count, "nothing twice")
    }

    /// user -> status/sub_status/lead of the last event per agent.
    static func floor(_ events: [EncodedEvent]) -> [String: String] {
        var out: [String: String] = [:]
        for e in events.jsonObjects {
            guard let data = e["data"] as? [String: Any], let agent = data["agent"] as? String else { continue }
            if let c = data["current"] as? [String: Any] {
                out[agent] = "\(c["status"]!)/\(c["sub_status"]!)/\(c["lead_id"]!)"
            } else {
                out[agent] = nil
            }
        }
        return out
    }

    static func floor(truthRows: [[String: Any]]) -> [String: String] {
        var out: [String: String] = [:]
        for t in truthRows { out[t["user"] as! String] = "\(t["status"]!)/\(t["sub_status"]!)/\(t["lead_id"]!)" }
        return out
    }
}

/// A PostgreSQL sink that cannot deliver holds up nobody, and catches up once fixed.
@Suite struct PostgresDaemonTests {
    enum Fault: String, CaseIterable { case wrongPassword, missingTable }

    @Test(arguments: Fault.allCases) func stdoutAndWebhooksKeepDeliveringWhilePostgresCannot(_ fault: Fault) async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        try await sim.auth(["password": DaemonTests.password])
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        let logs = CapturedLogs()
        var config = DaemonTests().configuration(sim)
        let crm = WebhookEndpoint(name: "crm", url: receiver.url("/crm"), signer: nil)
        let wrongPassword = "not-it-\(UInt32.random(in: 0 ... .max))"
        var postgres = PostgresSinkConfiguration(
            connection: TestPostgres.options(password: fault == .wrongPassword ? wrongPassword : TestPostgres.password),
            table: TestPostgres.uniqueName("events"), channel: TestPostgres.uniqueName("ch"),
            retry: RetryPolicy(initial: 0.05, maxDelay: 0.2, maxAge: 3600))
        postgres.applySchema = false
        config.sinks = [StdoutSinkConfiguration(), crm, postgres]

        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let stdoutLines = Awaitable(0)
        let readEnd = fds[0]
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while case let n = read(readEnd, &buffer, buffer.count), n > 0 {
                let lines = buffer[..<n].filter { $0 == 0x0A }.count
                stdoutLines.update { $0 += lines }
            }
        }
        defer { close(fds[1]); close(fds[0]) }
        let postgresSink = PostgresSink(configuration: postgres, logger: logs.logger())
        let pg = CountingSink(postgresSink)
        let sinks: [any EventSink] = [StdoutSink(fileDescriptor: fds[1]), WebhookSink(endpoint: crm), pg]
        let daemon = Daemon(configuration: config, sinks: sinks, logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }

        #expect(await stdoutLines.wait { $0 >= 3 }, "three logins on stdout")
        try await sim.set("agent001", ["status": "PAUSED", "pause_code": "LUNCH"])
        #expect(await stdoutLines.wait { $0 >= 4 }, "stdout delivers")
        #expect(try await receiver.waitForAccepted(4, at: "/crm"), "the webhook delivers")
        let expected = fault == .wrongPassword ? "password authentication failed" : "does not exist: create it with schema.sql"
        #expect(await postgresSink.connect()?.description.contains(expected) == true)
        #expect(logs.text.contains("sink=postgres") && logs.text.contains(expected))
        #expect(!logs.text.contains(wrongPassword))

        if fault == .missingTable {
            // Fixed while running: the backlog arrives, each event once.
            let script = PostgresSchema.sql(table: postgres.table)
            try await TestPostgres.client().withConnection { try $0.execute(script: script) }
            #expect(await pg.delivered.wait { $0 >= 4 })
            let rows = try await TestPostgres.client().query("SELECT count(DISTINCT id)::text, count(*)::text FROM \(PostgresIdentifier.quoted(postgres.table))")
            #expect(rows == [["4", "4"]])
        }
        run.cancel()
        _ = try await run.value
        await sim.stop()
    }
}
