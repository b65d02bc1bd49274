import Daemon
import Foundation
import Sinks
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// Alert rules through the pipeline: journaled once per occurrence, kept across a restart, validated.
@Suite struct AlertRuleTests {
    static let password = "alert-Secret-3"

    @Test func oneEventPerOccurrenceEvenAcrossARestart() async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        try await sim.auth(["password": Self.password])
        let state = TemporaryDirectory()
        defer { state.remove() }
        let source = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: Self.password, interval: 0.1, timeout: 5)
        func start(_ sink: RecordingSink) -> Task<[PollReport], any Error> {
            var config = Configuration(stateDirectory: state.path, sources: [.init(vicidial: source, eventSource: "vicidial://sim")])
            config.sinks = [PreparedSink(sink)]
            config.alerts = [AlertRule(name: "long_break", status: "PAUSED", pauseCodes: ["BREAK"], longerThan: 1)]
            let daemon = Daemon(configuration: config, sinks: [sink], logger: CapturedLogs().logger())
            return Task { try await daemon.run(drainTimeout: 2) }
        }
        @Sendable func crossings(_ events: [EncodedEvent]) -> [EncodedEvent] { events.filter { $0.type == .thresholdExceeded } }

        let first = RecordingSink(name: "s")
        var run = start(first)
        #expect(await first.wait { $0.count == 2 })
        try await sim.set("agent001", ["status": "PAUSED", "pause_code": "BREAK"])
        #expect(await first.wait { crossings($0).count == 1 })
        let crossing = try #require(crossings(await first.events).first)
        #expect(crossing.subject == "agent001")
        let data = try #require((try JSONSerialization.jsonObject(with: Data(crossing.json)) as? [String: Any])?["data"] as? [String: Any])
        #expect(data["rule"] as? String == "long_break" && (data["seconds"] as? Double ?? 0) >= 1)
        run.cancel()
        _ = try await run.value

        // Restarted in the same occurrence: polls go on, no second crossing.
        let second = RecordingSink(name: "s")
        let before = try await sim.requests("logged_in_agents")
        run = start(second)
        #expect(try await sim.waitForRequests("logged_in_agents", atLeast: before + 20))
        #expect(crossings(await second.events).isEmpty, "the occurrence was reported before the restart")
        // The next occurrence is reported again.
        try await sim.set("agent001", ["status": "READY", "pause_code": ""])
        #expect(await second.wait { $0.contains { $0.type == .statusChanged && $0.subject == "agent001" } }, "the break ended")
        try await sim.set("agent001", ["status": "PAUSED", "pause_code": "BREAK"])
        #expect(await second.wait { crossings($0).count == 1 })
        run.cancel()
        _ = try await run.value
        await sim.stop()
    }

    @Test func rulesAreCheckedWithTheirPaths() {
        let json = """
            {"sources": [{"name": "d1", "url": "http://h/x", "user": "u", "password": "p"}],
             "alerts": [{"name": "long_break", "status": "PAUSED", "pause_codes": ["BREAK"], "longer_than": "15m"},
                        {"name": "long_break", "status": "ready", "pause_codes": ["X"], "longer_than": "soon", "sources": ["d9"]},
                        {"name": "no_limit", "status": "INCALL", "sub_status": "DEAD"},
                        {"name": "typo", "status": "READY", "longer_then": "1m"}]}
            """
        do {
            _ = try Configuration.parse(Data(json.utf8), baseDirectory: "/", environment: [:])
            Issue.record("accepted")
        } catch let e as ConfigurationError {
            #expect(e.problems.contains("alerts[1].name: 'long_break' is already the name of alerts[0]"))
            #expect(e.problems.contains { $0.hasPrefix("alerts[1].status: VICIdial statuses are upper case") })
            #expect(e.problems.contains("alerts[1].pause_codes: pause codes only apply to status PAUSED"))
            #expect(e.problems.contains("alerts[1].sources: 'd9' is not a configured source"))
            #expect(e.problems.contains { $0.hasPrefix("alerts[1].longer_than: not a duration") })
            #expect(e.problems.contains("alerts[2].longer_than: required: a duration such as \"15m\""))
            #expect(e.problems.contains { $0.hasPrefix("alerts[3].longer_then: unknown key") })
        } catch {
            Issue.record("\(error)")
        }
        let good = try? Configuration.parse(Data("""
            {"sources": [{"name": "d1", "url": "http://h/x", "user": "u", "password": "p"}],
             "alerts": [{"name": "long_dead", "status": "INCALL", "sub_status": "DEAD", "longer_than": "2m", "campaigns": ["SALES"]}]}
            """.utf8), baseDirectory: "/", environment: [:])
        #expect(good?.alerts == [AlertRule(name: "long_dead", status: "INCALL", subStatus: "DEAD", campaigns: ["SALES"], longerThan: 120)])
    }

    @Test func queueRulesAreCheckedWithTheirPaths() {
        let json = """
            {"sources": [{"name": "d1", "url": "http://h/x", "user": "u", "password": "p"}],
             "alerts": [{"name": "backlog", "queues": ["SUPPORT"], "calls_waiting_at_least": 5, "for": "30s"},
                        {"name": "two", "queues": [], "calls_waiting_at_least": 5, "ready_agents_at_most": 0},
                        {"name": "none", "queues": []},
                        {"name": "slow", "queues": [], "oldest_wait_longer_than": "2m", "sources": ["d9"], "colour": 1},
                        {"name": "drops", "queues": [], "drop_percent_at_least": 130},
                        {"name": "mins", "queues": [], "calls_waiting_at_least": 2, "min_calls": 5}]}
            """
        do {
            _ = try Configuration.parse(Data(json.utf8), baseDirectory: "/", environment: [:])
            Issue.record("accepted")
        } catch let e as ConfigurationError {
            #expect(e.problems.contains { $0.hasPrefix("alerts[1]: a queue rule needs exactly one of") })
            #expect(e.problems.contains { $0.hasPrefix("alerts[2]: a queue rule needs exactly one of") })
            #expect(e.problems.contains("alerts[3].sources: 'd9' is not a configured source"))
            #expect(e.problems.contains { $0.hasPrefix("alerts[3].colour: unknown key") })
            #expect(e.problems.contains("alerts[4].drop_percent_at_least: expected a percentage above 0 and at most 100"))
            #expect(e.problems.contains("alerts[5].min_calls: only for drop_percent_at_least and service_level_below"))
        } catch {
            Issue.record("\(error)")
        }
        let good = try? Configuration.parse(Data("""
            {"sources": [{"name": "d1", "url": "http://h/x", "user": "u", "password": "p"}],
             "alerts": [{"name": "backlog", "queues": ["SUPPORT"], "calls_waiting_at_least": 5, "for": "30s"},
                        {"name": "long_break", "status": "PAUSED", "longer_than": "15m"},
                        {"name": "drops", "queues": [], "drop_percent_at_least": 3.5, "min_calls": 20}]}
            """.utf8), baseDirectory: "/", environment: [:])
        #expect(good?.queueAlerts == [QueueRule(name: "backlog", queues: ["SUPPORT"], condition: .callsWaitingAtLeast(5), holdFor: 30),
                                      QueueRule(name: "drops", condition: .dropPercentAtLeast(3.5, minCalls: 20))])
        #expect(good?.alerts.map(\.name) == ["long_break"])
    }
}

/// A source's `queues` block: the API's default read interval and the campaigns of each in-group.
@Suite struct QueueConfigurationTests {
    @Test(arguments: [(1, 0.0), (10, 0), (11, 1.1), (50, 5)])
    func theAPIReadsAtMostTenInGroupsASecondByDefault(_ count: Int, _ interval: Double) throws {
        let groups = (0..<count).map { "\"G\($0)\"" }.joined(separator: ",")
        let config = try Configuration.parse(Data("""
            {"sources": [{"name": "d1", "url": "http://h/x", "user": "u", "password": "p",
                          "queues": {"in_groups": [\(groups)], "campaigns": {"G0": ["SALES", "INBOUND"]}}}]}
            """.utf8), baseDirectory: "/", environment: [:])
        let q = try #require(config.sources[0].vicidial.queues)
        #expect(q.interval == interval)
        #expect(q.campaigns == ["G0": ["SALES", "INBOUND"]])
        #expect(q.scoped(QueueState(queue: "G0", kind: .inGroup, callsWaiting: 0)).campaigns == ["SALES", "INBOUND"])
    }

    @Test func zeroMeansEveryPoll() throws {
        let config = try Configuration.parse(Data("""
            {"sources": [{"name": "d1", "url": "http://h/x", "user": "u", "password": "p",
                          "queues": {"in_groups": ["A"], "min_interval": "0s", "interval": "0s"}}]}
            """.utf8), baseDirectory: "/", environment: [:])
        #expect(config.sources[0].vicidial.queues?.minInterval == 0 && config.sources[0].vicidial.queues?.interval == 0)
    }
}
