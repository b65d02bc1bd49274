@testable import Daemon
import Foundation
import Journal
import Logging
import NIOCore
import TestSupport
import Testing
import VicinotifyCore

/// Every number and duration a request carries is read within bounds: out of range is a 400 naming
/// the parameter, never a trap (one request used to kill the daemon).
@Suite struct RequestParsingTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    @Test(arguments: [
        ("9223372036854775807", nil, "Last-Event-ID"), ("-1", nil, "Last-Event-ID"), ("18446744073709551616", nil, "Last-Event-ID"),
        ("9007199254740993", nil, "Last-Event-ID"), ("1e9", nil, "Last-Event-ID"), ("０１", nil, "Last-Event-ID"),
        (nil, "9223372036854775807", "since"), (nil, "9999999999999999h", "since"), (nil, "9007199254740993", "since"),
        (nil, "367d", "since"), (nil, "100000h", "since"), (nil, "1e308s", "since"), (nil, "nonsense", "since"),
        (nil, "99999999999999999999999999999ms", "since"),
    ] as [(String?, String?, String)])
    func outOfRangeIsABadRequestNamingTheParameter(_ lastEventID: String?, _ since: String?, _ parameter: String) {
        guard case .failure(let invalid) = EventStream.Start.parse(lastEventID: lastEventID, since: since, now: Self.now) else {
            Issue.record("accepted \(lastEventID ?? since ?? "")")
            return
        }
        #expect(invalid.parameter == parameter)
        let json = try? JSONSerialization.jsonObject(with: Data(invalid.json.utf8)) as? [String: Any]
        #expect(json?["parameter"] as? String == parameter && (json?["error"] as? String)?.hasPrefix(parameter) == true)
    }

    @Test(arguments: [
        ("42", nil, EventStream.Start.after(42)), (" 7 ", nil, .after(7)), ("9007199254740992", nil, .after(9_007_199_254_740_992)),
        (nil, "0", .after(0)), (nil, "5m", .time(now.adding(milliseconds: -300_000))), (nil, nil, .live), ("", "", .live),
        (nil, "2026-12-04T10:00:00Z", .time(Timestamp(rfc3339: "2026-12-04T10:00:00Z")!)),
        (nil, "8784h", .time(now.adding(milliseconds: -8784 * 3_600_000))),
    ] as [(String?, String?, EventStream.Start)])
    func inRangeIsRead(_ lastEventID: String?, _ since: String?, _ start: EventStream.Start) throws {
        #expect(try EventStream.Start.parse(lastEventID: lastEventID, since: since, now: Self.now).get() == start)
    }

    /// Random queries and headers against every route, answered in process: each answer is a status the
    /// route documents, and nothing traps.
    @Test func fuzzedRequestsGetAnAnswerNeverATrap() async throws {
        let dir = TemporaryDirectory("vn-fuzz")
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        let operations = Operations(sources: [])
        let live = LiveFloor(sources: ["sim"])
        let hub = EventHub(maxReaders: 4096, bufferEvents: 100)
        let access = APIAccess()
        let router = operations.router(live: live, hub: hub, access: access, journal: journal, sinks: [], listenHost: "127.0.0.1",
                                       logger: Logger(label: "fuzz"))
        var rng = SplitMix64(seed: 2026)
        let paths = ["/v1/events", "/v1/agents", "/v1/alerts", "/v1/agents/sim/agent001", "/v1/agents/%ff/%", "/metrics", "/healthz",
                     "/readyz", "/", "/nope", "/v1/", "/v1/agents/a/b/c"]
        let keys = ["since", "campaign", "source", "type", "agent", "user_group", "status", "access_token", "", "=", "since[]"]
        let values = ["9223372036854775807", "-9223372036854775808", "9999999999999999h", "1e309", "NaN", "%00", "%", "%zz", "5m",
                      "0", "", ",,,", "a,b", "2026-13-45T99:99:99Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z",
                      "1h1h1h1h", ".s", "..5m", "18446744073709551615", String(repeating: "9", count: 400), "vicidial.*", "*"]
        var statuses = Set<Int>()
        for _ in 0..<3000 {
            var query: [String] = []
            for _ in 0..<Int(rng.next() % 4) {
                query.append("\(keys[Int(rng.next() % UInt64(keys.count))])=\(values[Int(rng.next() % UInt64(values.count))])")
            }
            let path = paths[Int(rng.next() % UInt64(paths.count))]
            var headers: [(name: String, value: String)] = []
            if rng.next() % 2 == 0 { headers.append(("Last-Event-ID", values[Int(rng.next() % UInt64(values.count))])) }
            let request = OperationsServer.Request(method: rng.next() % 8 == 0 ? "OPTIONS" : "GET",
                                                   uri: path + (query.isEmpty ? "" : "?" + query.joined(separator: "&")), headers: headers)
            let reply = await router.respond(to: request)
            statuses.insert(reply.status)
            #expect([200, 204, 400, 404].contains(reply.status), "\(request.uri) \(headers)")
            if let stream = reply.stream {
                let run = Task { await stream { _ in throw CancellationError() } }
                run.cancel()
                _ = await run.value
            }
        }
        #expect(statuses.isSuperset(of: [200, 400, 404]))
    }

    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", [], 200), ("localhost:9464", "127.0.0.1", [], 200), ("[::1]:9464", "::1", [], 200),
        ("evil.example:9464", "127.0.0.1", [], 421), ("127.evil.example", "127.0.0.1", [], 421),
        ("wallboard.lan:9464", "wallboard.lan", [], 200), ("evil.example", "0.0.0.0", ["tttttttttttttttttttt"], 200),
    ] as [(String, String, [String], Int)])
    func withoutTokensOnlyTheListenersOwnNamesAreAnswered(_ host: String, _ listen: String, _ tokens: [String], _ status: Int) async throws {
        let dir = TemporaryDirectory("vn-host")
        defer { dir.remove() }
        let access = APIAccess(tokens: tokens.map { APIAccess.Token(secret: $0) })
        let request = OperationsServer.Request(method: "GET", uri: "/healthz", headers: [("Host", host)])
        let router = Operations(sources: []).router(live: LiveFloor(sources: []), hub: EventHub(), access: access,
                                                    journal: try Journal(directory: dir.path), sinks: [], listenHost: listen,
                                                    logger: Logger(label: "host"))
        let reply = await router.respond(to: request)
        #expect(reply.status == status)
    }
}
