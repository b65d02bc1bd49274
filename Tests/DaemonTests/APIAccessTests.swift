import CurlHTTP
import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// Tokens and browser origins for `/v1/*`.
@Suite struct APIAccessTests {
    static let full = "full-access-token-0123456789"
    static let sales = "sales-only-token-0123456789"

    func problems(_ http: String, env: [String: String] = [:]) -> [String] {
        let json = #"{"sources": [{"name": "a", "url": "http://127.0.0.1/x", "user": "u", "password": "p"}], "http": "# + http + "}"
        do { _ = try Configuration.parse(Data(json.utf8), baseDirectory: "/tmp", environment: env); return [] }
        catch { return (error as? ConfigurationError)?.problems ?? ["\(error)"] }
    }

    @Test func aListenerOffLoopbackNeedsTokens() {
        #expect(problems(#"{"listen": "0.0.0.0:9464"}"#).contains { $0.hasPrefix("http.listen: 0.0.0.0 is not a loopback address") })
        #expect(problems(#"{"listen": "0.0.0.0:9464", "tokens": [{"token": "\#(Self.full)"}]}"#).isEmpty)
        #expect(problems(#"{"listen": "10.0.0.5:9464", "tokens_env": "T"}"#, env: ["T": Self.full]).isEmpty)
        #expect(problems(#"{"listen": "127.0.0.1:9464", "tokens": [{"token": "short"}]}"#) == ["http.tokens[0].token: a token needs at least 16 characters"])
        #expect(problems(#"{"listen": "[::1]:9464"}"#).isEmpty)
    }

    @Test func tokensGuardTheAPIAndScopeWhatItShows() async throws {
        let sim = try await RunningSimulator.start(agents: 3)
        defer { Task { await sim.stop() } }
        try await sim.set("agent001", ["campaign_id": "SALES"])
        try await sim.set("agent002", ["campaign_id": "SUPPORT"])
        try await sim.set("agent003", ["campaign_id": "SALES"])
        let s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 5)
        var config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: s, eventSource: "vicidial://sim")])
        config.httpListen = ("127.0.0.1", 0)
        config.apiAccess = APIAccess(tokens: [.init(secret: Self.full), .init(secret: Self.sales, campaigns: ["SALES"])],
                                     corsOrigins: ["https://wallboard.example"])
        config.alerts = [AlertRule(name: "everywhere", status: "PAUSED", longerThan: 3600),
                         AlertRule(name: "sales_idle", status: "READY", campaigns: ["SALES"], longerThan: 3600),
                         AlertRule(name: "support_idle", status: "READY", campaigns: ["SUPPORT"], longerThan: 3600)]
        let logs = CapturedLogs()
        let sink = RecordingSink()
        let daemon = Daemon(configuration: config, sinks: [sink], logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await sink.wait { $0.count == 3 })
        #expect(await logs.wait { $0.contains { $0.contains("serving /metrics") } })
        let port = Int(logs.all.first { $0.contains("serving /metrics") }?.split(separator: ":").last?.prefix { $0.isNumber } ?? "") ?? 0
        let http = CurlTransport()
        func get(_ path: String, _ headers: [(name: String, value: String)] = []) async throws -> HTTPResponse {
            try await http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)\(path)", headers: headers))
        }
        func agents(_ r: HTTPResponse) -> [String] {
            ((try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])?["agents"] as? [[String: Any]] ?? [])
                .compactMap { $0["agent"] as? String }.sorted()
        }

        let none = try await get("/v1/agents")
        #expect(none.status == 401 && none.header("WWW-Authenticate")?.hasPrefix("Bearer") == true && agents(none).isEmpty)
        #expect(try await get("/v1/agents", [("Authorization", "Bearer not-a-token-at-all")]).status == 401)
        #expect(agents(try await get("/v1/agents", [("Authorization", "Bearer \(Self.full)")])) == ["agent001", "agent002", "agent003"])
        let scoped = try await get("/v1/agents", [("Authorization", "Bearer \(Self.sales)")])
        #expect(agents(scoped) == ["agent001", "agent003"], "an out-of-scope agent never appears")
        #expect(try await get("/v1/agents?campaign=SUPPORT", [("Authorization", "Bearer \(Self.sales)")]).status == 403)
        #expect(try await get("/v1/agents/sim/agent002", [("Authorization", "Bearer \(Self.sales)")]).status == 404)
        #expect(try await get("/v1/agents/sim/agent001?access_token=\(Self.sales)").status == 200)
        #expect(try await get("/metrics").status == 200, "operations paths stay open")
        let cors = try await get("/v1/agents", [("Authorization", "Bearer \(Self.full)"), ("Origin", "https://wallboard.example")])
        #expect(cors.header("Access-Control-Allow-Origin") == "https://wallboard.example")
        let foreign = try await get("/v1/agents", [("Authorization", "Bearer \(Self.full)"), ("Origin", "https://evil.example")])
        #expect(foreign.header("Access-Control-Allow-Origin") == nil)

        let stream = try await SSEReader.open(port: port, path: "/v1/events?since=0&access_token=\(Self.sales)")
        var seen: [String] = []
        while seen.count < 2, let f = await stream.next() {
            seen.append((try? JSONSerialization.jsonObject(with: Data(f.data.utf8)) as? [String: Any])?["subject"] as? String ?? "")
        }
        try await sim.set("agent002", ["status": "READY"])
        try await sim.set("agent001", ["status": "READY"])
        if let f = await stream.next() {
            seen.append((try? JSONSerialization.jsonObject(with: Data(f.data.utf8)) as? [String: Any])?["subject"] as? String ?? "")
        }
        #expect(seen == ["agent001", "agent003", "agent001"], "the scoped stream skips agent002")
        // Leaving the scope is seen (no ghost on a SALES wallboard); what follows outside it is not.
        try await sim.set("agent001", ["campaign_id": "SUPPORT"])
        try await sim.set("agent001", ["status": "PAUSED"])
        try await sim.set("agent003", ["status": "PAUSED", "pause_code": "XYZ"])
        var after: [(String, String)] = []
        while after.count < 2, let f = await stream.next() {
            let e = (try? JSONSerialization.jsonObject(with: Data(f.data.utf8)) as? [String: Any]) ?? [:]
            let current = (e["data"] as? [String: Any])?["current"] as? [String: Any]
            after.append((e["subject"] as? String ?? "", current?["campaign_id"] as? String ?? ""))
        }
        #expect(after.map(\.0) == ["agent001", "agent003"] && after.first?.1 == "SUPPORT", "\(after)")
        let scopedList = try JSONSerialization.jsonObject(with: Data(try await get("/v1/agents?access_token=\(Self.sales)").body)) as? [String: Any]
        #expect((scopedList?["scope"] as? [String: Any])?["campaigns"] as? [String] == ["SALES"])
        let rules = try JSONSerialization.jsonObject(with: Data(try await get("/v1/alerts?access_token=\(Self.sales)").body)) as? [String: Any]
        #expect((rules?["rules"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["everywhere", "sales_idle"],
                "a scoped token sees only the rules of its campaigns")
        stream.close()
        #expect(try await SSEReader.open(port: port, path: "/v1/events").status == 401)
        run.cancel()
        _ = try await run.value
        #expect(!logs.text.contains(Self.full) && !logs.text.contains(Self.sales))
    }
}
