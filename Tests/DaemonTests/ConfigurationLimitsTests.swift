import Daemon
import Foundation
import Testing

/// Values `check-config` must refuse (or warn about) before they reach a running daemon.
@Suite struct ConfigurationLimitsTests {
    func parse(_ source: String, root: String = "", env: [String: String] = [:]) -> (problems: [String], warnings: [String]) {
        let json = """
            {"sources": [{"name": "a", "url": "http://127.0.0.1/vicidial/non_agent_api.php", "user": "u" \(source)}] \(root)}
            """
        do {
            let c = try Configuration.parse(Data(json.utf8), baseDirectory: "/tmp", environment: env)
            return ([], c.warnings)
        } catch let e as ConfigurationError {
            return (e.problems, [])
        } catch {
            return (["unexpected: \(error)"], [])
        }
    }

    @Test(arguments: [
        (#", "password": "p", "interval": "9999999999999999h""#, "sources[0].interval: must be from 100ms to 1h"),
        (#", "password": "p", "interval": "0.0001ms""#, "sources[0].interval: must be from 100ms to 1h"),
        (#", "password": "p", "timeout": "9999999999999999h""#, "sources[0].timeout: must be from 100ms to 10m"),
        (#", "password": "p", "auth_backoff": "9999999999999999h""#, "sources[0].auth_backoff: must be from 1s to 24h"),
        (#", "password": "p", "interval": "1e400s""#, "sources[0].interval: not a duration (write \"250ms\", \"1s\", \"5m\", \"24h\")"),
        (#", "password": "p", "api_source": "my-app""#, "sources[0].api_source: 2 to 20 letters and digits (VICIdial removes every other character from source)"),
        (#", "password": """#, "sources[0].password: must not be empty"),
        (#", "password": "p", "event_source": """#, "sources[0].event_source: must not be empty"),
        (#", "password": "p", "verify_logouts": "sometimes""#, "sources[0].verify_logouts: must be auto, always or never"),
    ])
    func absurdValuesAreRefusedWithTheirPath(_ fragment: String, _ problem: String) {
        #expect(parse(fragment).problems.contains(problem), "\(parse(fragment).problems)")
    }

    @Test(arguments: ["http://h/x#frag", "http://h /x", "http://h/x\r\nX: y", "http://h:99999/x"])
    func badURLsAreRefused(_ url: String) {
        let quoted = String(decoding: try! JSONSerialization.data(withJSONObject: [url]), as: UTF8.self).dropFirst().dropLast()
        let json = #"{"sources": [{"name": "a", "url": "# + quoted + #", "user": "u", "password": "p"}]}"#
        var problems: [String] = []
        do { _ = try Configuration.parse(Data(json.utf8), baseDirectory: "/tmp", environment: [:]) }
        catch { problems = (error as? ConfigurationError)?.problems ?? ["\(error)"] }
        #expect(problems.contains { $0.hasPrefix("sources[0].url: ") }, "\(url): \(problems)")
    }

    static let tokenA = "aaaaaaaaaaaaaaaaaaaa", tokenB = "bbbbbbbbbbbbbbbbbbbb"

    @Test(arguments: [
        (#""http": {"listen": "127.evil.example:9464"}"#, "http.listen: 127.evil.example is not a loopback address"),
        (#""http": {"listen": "127.0.0.1.nip.io:9464"}"#, "http.listen: 127.0.0.1.nip.io is not a loopback address"),
        (#""http": {"listen": "9464", "tokens": [{"token": "\#(tokenA)"}, {"token": "\#(tokenA)", "campaigns": ["SALES"]}]}"#,
         "http.tokens[1].token: this token is given twice"),
        (#""http": {"listen": "9464", "tokens": [{"token": "\#(tokenA)", "sources": ["nope"]}]}"#,
         "http.tokens[0].sources: 'nope' is not a configured source"),
        (#""http": {"listen": "9464", "tokens": [{"token": " \#(tokenA) "}]}"#, "http.tokens[0].token: a token cannot contain spaces"),
        (#""http": {"listen": "9464", "max_readers": 100000}"#, "http.max_readers: 100000 is more than the"),
        (#""alerts": [{"name": "x", "status": "INCALL", "sub_status": "DEADISH", "longer_than": "1m"}]"#,
         "alerts[0].sub_status: 'DEADISH' is not a VICIdial sub-status"),
    ])
    func listenerTokensAndRulesAreChecked(_ root: String, _ problem: String) {
        let problems = parse(#", "password": "p""#, root: ", " + root).problems
        #expect(problems.contains { $0.hasPrefix(problem) }, "\(problems)")
        #expect(!problems.contains { $0.contains(Self.tokenA) }, "a problem never quotes a token")
    }

    @Test(arguments: ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
    func loopbackListenersNeedNoToken(_ host: String) {
        let listen = host.contains(":") ? "[\(host)]:9464" : "\(host):9464"
        #expect(parse(#", "password": "p""#, root: #", "http": {"listen": "\#(listen)"}"#).problems.isEmpty)
    }

    /// What `jq` refuses is refused, and every syntax error says its line and column.
    @Test(arguments: [
        ("{\"sources\": [],\n  \"journal\": {\"keep_events\": 5,}\n}", "$: not valid JSON at line 2, column 31: a comma before a closing bracket"),
        ("{\"sources\": [1, 2,\n]}", "$: not valid JSON at line 1, column 18: a comma before a closing bracket"),
        ("{\"sources\": [\"a,]\"]", "$: not valid JSON at line 1"),
        ("{\n  \"sources\": [\n    {\"name\": \"a\" \"url\": 1}]}", "$: not valid JSON at line 3, column "),
    ])
    func jsonSyntaxErrorsSayLineAndColumn(_ text: String, _ problem: String) {
        var problems: [String] = []
        do { _ = try Configuration.parse(Data(text.utf8), baseDirectory: "/tmp", environment: [:]) }
        catch { problems = (error as? ConfigurationError)?.problems ?? ["\(error)"] }
        #expect(problems.count == 1 && problems[0].hasPrefix(problem), "\(problems)")
    }

    @Test func aURLThatIsNotTheAPIIsAWarningSayingWhereItIs() {
        let json = #"{"sources": [{"name": "a", "url": "http://dialer1/vicidial/", "user": "u", "password": "p"}]}"#
        let warnings = (try? Configuration.parse(Data(json.utf8), baseDirectory: "/tmp", environment: [:]))?.warnings ?? []
        #expect(warnings.contains { $0.hasPrefix("sources[0].url: does not end in non_agent_api.php") }, "\(warnings)")
    }

    @Test func rootKeysAreNamedOnce() {
        #expect(parse(#", "password": "p""#, root: #", "state_dir": 5"#).problems == ["state_dir: expected a string"])
    }

    @Test func retryDurationsAreBounded() {
        let p = parse(#", "password": "p""#, root: #", "sinks": {"stdout": {"retry": {"initial": "9999999999999999h", "max_delay": "0.5ms"}}}"#)
        #expect(p.problems.contains("sinks.stdout.retry.initial: must be from 1ms to 24h"), "\(p.problems)")
    }

    @Test func aPasswordVICIdialWouldMangleIsAWarningNamingTheFieldNotTheValue() {
        let given = parse(#", "password": "s3cret!pass""#)
        #expect(given.problems.isEmpty)
        #expect(given.warnings.count == 1)
        #expect(given.warnings.first?.hasPrefix("sources[0].password: ") == true)
        #expect(given.warnings.allSatisfy { !$0.contains("s3cret") })
        let env = parse(#", "password_env": "VP""#, env: ["VP": "with space"])
        #expect(env.warnings.first?.hasPrefix("sources[0].password_env: ") == true)
        #expect(parse(#", "password": "Plain-pass_1""#).warnings.isEmpty)
    }
}
