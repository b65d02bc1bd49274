import CurlHTTP
import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// `docs/grafana-dashboard.json` asks only for metrics a running daemon exposes, and covers the families
/// an operator needs (sources, sinks, the event stream, queues).
@Suite struct DashboardTests {
    @Test func everyMetricTheDashboardQueriesExists() async throws {
        let file = EventSchemaTests.root.appendingPathComponent("docs/grafana-dashboard.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let exprs = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(exprs.count >= panels.count, "every panel queries something")
        let asked = Set(exprs.flatMap { e in
            e.matches(of: /vicinotify_[a-z_]+/).map { m in String(m.output).replacing(/_(bucket|sum|count)$/, with: "") }
        })

        let sim = try await RunningSimulator.start(agents: 2)
        var source = VICIdialSource(name: "s", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.2, timeout: 3)
        source.queues = QueueSelection(inGroups: ["SUPPORT"])
        var config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: source, eventSource: "vicidial://s")])
        config.httpListen = ("127.0.0.1", 0)
        let logs = CapturedLogs()
        let run = Task { try await Daemon(configuration: config, sinks: [RecordingSink()], logger: logs.logger()).run(drainTimeout: 1) }
        #expect(await logs.wait { $0.contains { $0.contains("serving /metrics") } })
        let port = Int(logs.all.first { $0.contains("serving /metrics") }?.split(separator: ":").last?.prefix { $0.isNumber } ?? "") ?? 0
        let text = String(decoding: try await sim.http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics", timeout: 5)).body, as: UTF8.self)
        let exposed = Set(text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.map { String($0.split(separator: " ")[2]) })
        run.cancel()
        _ = try await run.value
        await sim.stop()
        #expect(asked.subtracting(exposed).isEmpty, "the dashboard asks for metrics the daemon does not have: \(asked.subtracting(exposed).sorted())")
        #expect(exposed.subtracting(asked).isEmpty, "metrics no panel shows: \(exposed.subtracting(asked).sorted())")
        let inputs = try #require(dashboard["__inputs"] as? [[String: Any]])
        #expect(inputs.first?["pluginId"] as? String == "prometheus", "importable: Grafana asks for the Prometheus data source")
    }
}
