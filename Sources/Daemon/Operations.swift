import Foundation
import Journal
import Synchronization
import VicinotifyCore

/// What the daemon tells operators: Prometheus metrics and readiness, fed by every poll and delivery.
public final class Operations: Sendable {
    public let metrics = Metrics()
    /// The alert rules, for `/v1/alerts`.
    let alerts: [AlertRule]
    private let readiness: Mutex<Readiness>

    private struct Readiness {
        var lastSuccess: [String: Timestamp] = [:]
        var lastFailure: [String: String] = [:]
        var intervals: [String: Double]
        var journalWritable = true
    }

    public init(sources: [Configuration.Source], alerts: [AlertRule] = []) {
        self.alerts = alerts
        readiness = Mutex(Readiness(intervals: Dictionary(uniqueKeysWithValues: sources.map { ($0.vicidial.name, $0.vicidial.interval) })))
        let m = metrics
        m.declare("vicinotify_polls_total", .counter, help: "Polls by source and outcome: ok, empty, or the failure class.")
        m.declare("vicinotify_poll_duration_seconds", .histogram, help: "Time from a poll's request to its commit.",
                  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        m.declare("vicinotify_agents", .gauge, help: "Logged-in agents by source and status, as of the last poll.")
        m.declare("vicinotify_events_total", .counter, help: "Events journaled, by source and type.")
        m.declare("vicinotify_deliveries_total", .counter,
                  help: "Delivery outcomes by sink: delivered, retry, dead_letter, disabled (endpoint answered 410).")
        m.declare("vicinotify_sink_queue_depth", .gauge, help: "Journaled events the sink has not passed yet.")
        m.declare("vicinotify_sink_oldest_undelivered_age_seconds", .gauge, help: "Age of the sink's oldest undelivered event.")
        m.declare("vicinotify_dead_letters", .gauge, help: "Events the sink gave up on, waiting in the dead letters.")
        m.declare("vicinotify_journal_bytes", .gauge, help: "Size of the journal on disk, write-ahead log included.")
        m.declare("vicinotify_source_up", .gauge, help: "1 if the source's last poll succeeded.")
        m.declare("vicinotify_event_readers", .gauge, help: "Readers of /v1/events now.")
        m.declare("vicinotify_event_reader_overflows_total", .counter, help: "Readers of /v1/events cut off for falling behind.")
    }

    /// Records one poll.
    func record(_ report: PollReport) {
        let source = ("source", report.source)
        let outcome = report.failure?.reason.rawValue ?? (report.agents == 0 ? "empty" : "ok")
        metrics.add("vicinotify_polls_total", [source, ("outcome", outcome)])
        metrics.observe("vicinotify_poll_duration_seconds", [source], report.duration)
        metrics.set("vicinotify_source_up", [source], report.failure == nil ? 1 : 0)
        if report.journalWritable {
            for (type, n) in Dictionary(grouping: report.events, by: \.self).mapValues(\.count) {
                metrics.add("vicinotify_events_total", [source, ("type", type.rawValue)], Double(n))
            }
            metrics.replace("vicinotify_agents", matching: source,
                            with: report.statuses.map { ([source, ("status", $0.key)], Double($0.value)) })
        }
        readiness.withLock { r in
            if report.failure == nil { r.lastSuccess[report.source] = report.time } else {
                r.lastFailure[report.source] = report.failure!.reason.rawValue
            }
            r.journalWritable = report.journalWritable
        }
    }

    /// Brings the journal-derived gauges up to date.
    func refresh(journal: Journal, sinks: [String]) async {
        metrics.set("vicinotify_journal_bytes", [], Double(journal.sizeInBytes))
        guard let last = try? await journal.lastPosition() else { return }
        let now = Timestamp.now()
        let dead = (try? await journal.deadLetterCounts()) ?? [:]
        for sink in sinks {
            let label = [("sink", sink)]
            guard let cursor = try? await journal.cursor(sink: sink) else { continue }
            metrics.set("vicinotify_sink_queue_depth", label, Double(max(0, last - cursor)))
            let oldest = (try? await journal.events(for: sink, after: cursor, limit: 1))?.first
            metrics.set("vicinotify_sink_oldest_undelivered_age_seconds", label,
                        oldest.map { max(0, now.seconds(since: $0.event.time)) } ?? 0)
            metrics.set("vicinotify_dead_letters", label, Double(dead[sink] ?? 0))
        }
    }

    /// Answers `/metrics`, `/healthz`, `/readyz`, `/v1/agents[/{source}/{agent}]` and `/v1/events`.
    func reply(to request: OperationsServer.Request, live: LiveFloor, hub: EventHub, access: APIAccess, journal: Journal,
               sinks: [String], listenHost: String = "127.0.0.1") async -> OperationsServer.Reply {
        guard access.allowsHost(request.header("Host"), listenHost: listenHost) else {
            return .init(status: 421, contentType: "application/json",
                         body: "{\"error\":\"this listener answers only to its own address or a loopback name without http.tokens\"}\n")
        }
        let uri = request.uri
        let path = String(uri.prefix { $0 != "?" })
        let query = uri.contains("?") ? String(uri[uri.index(after: uri.firstIndex(of: "?")!)...]) : ""
        if path.hasPrefix("/v1/") {
            var reply = v1(path: path, query: query, request: request, live: live, hub: hub, access: access, journal: journal)
            if let origin = access.allowedOrigin(request.header("Origin")) {
                reply.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                                  ("Access-Control-Allow-Headers", "Authorization, Last-Event-ID"),
                                  ("Access-Control-Allow-Methods", "GET, OPTIONS")]
            }
            return reply
        }
        switch path {
        case "/metrics":
            await refresh(journal: journal, sinks: sinks)
            metrics.set("vicinotify_event_readers", [], Double(hub.readers))
            metrics.set("vicinotify_event_reader_overflows_total", [], Double(hub.overflows))
            return .init(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition())
        case "/healthz":
            return .init(status: 200, contentType: "application/json", body: "{\"status\":\"ok\"}\n")
        case "/readyz":
            let (ready, json) = readiness()
            return .init(status: ready ? 200 : 503, contentType: "application/json", body: json)
        case "/favicon.ico":
            return .init(status: 204, contentType: "image/x-icon", body: "")
        case "/", "/index.html":
            return .init(status: 200, contentType: "text/html; charset=utf-8", body: Wallboard.page, headers: Wallboard.headers)
        default:
            return .init(status: 404, contentType: "text/plain", body: "not found: try /, /v1/agents, /metrics, /healthz or /readyz\n")
        }
    }

    /// `/v1/*`: the live floor and the event stream, for a token's scope.
    private func v1(path: String, query: String, request: OperationsServer.Request, live: LiveFloor, hub: EventHub,
                    access: APIAccess, journal: Journal) -> OperationsServer.Reply {
        if request.method == "OPTIONS" { return .init(status: 204, contentType: "text/plain", body: "") }
        let params = Self.parameters(query)
        let scope: APIAccess.Scope
        switch access.scope(authorization: request.header("Authorization"), accessToken: params["access_token"]?.first) {
        case .success(let s): scope = s
        case .failure(let denial):
            return .init(status: 401, contentType: "application/json",
                         body: denial == .missing ? "{\"error\":\"a bearer token is required\"}\n" : "{\"error\":\"unknown token\"}\n",
                         headers: [("WWW-Authenticate", "Bearer realm=\"vicinotify\"")])
        }
        let forbidden = OperationsServer.Reply(status: 403, contentType: "application/json",
                                               body: "{\"error\":\"outside this token's sources or campaigns\"}\n")
        guard let sources = Self.limit(params["source"] ?? [], to: scope.sources),
              let campaigns = Self.limit(params["campaign"] ?? [], to: scope.campaigns) else { return forbidden }
        switch path {
        case "/v1/agents":
            var q = LiveFloor.Query(params)
            q.sources = sources
            q.campaigns = campaigns
            q.scopeCampaigns = scope.campaigns
            return .init(status: 200, contentType: "application/json", body: String(decoding: live.list(q), as: UTF8.self))
        case "/v1/alerts":
            return .init(status: 200, contentType: "application/json", body: Wallboard.alerts(alerts.filter { scope.covers($0) }))
        case "/v1/events":
            var filter = EventStream.filter(params)
            filter.sources = sources
            filter.campaigns = campaigns
            return events(request, since: params["since"]?.first, filter: filter, hub: hub, journal: journal)
        default:
            let parts = path.dropFirst("/v1/agents/".count).split(separator: "/", omittingEmptySubsequences: false)
                .map { String($0).removingPercentEncoding ?? String($0) }
            guard path.hasPrefix("/v1/agents/"), parts.count == 2 else {
                return .init(status: 404, contentType: "application/json", body: "{\"error\":\"no such path\"}\n")
            }
            if let allowed = scope.sources, !allowed.contains(parts[0]) { return forbidden }
            guard let body = live.agent(source: parts[0], user: parts[1], campaigns: scope.campaigns) else {
                return .init(status: 404, contentType: "application/json", body: "{\"error\":\"no such agent logged in\"}\n")
            }
            return .init(status: 200, contentType: "application/json", body: String(decoding: body, as: UTF8.self))
        }
    }

    /// `asked` within `scope`: the scope when nothing was asked, `nil` when something outside it was.
    static func limit(_ asked: [String], to scope: [String]?) -> [String]? {
        guard let scope else { return asked }
        if asked.isEmpty { return scope }
        return asked.allSatisfy(scope.contains) ? asked : nil
    }

    /// Query parameters, each repeatable or comma-separated.
    static func parameters(_ query: String) -> [String: [String]] {
        var params: [String: [String]] = [:]
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if kv.count == 2 { params[kv[0], default: []] += kv[1].split(separator: ",").map(String.init) }
        }
        return params
    }

    /// `/v1/events`: a Server-Sent Events stream, or why not.
    private func events(_ request: OperationsServer.Request, since: String?, filter: EventFilter, hub: EventHub,
                        journal: Journal) -> OperationsServer.Reply {
        let start: EventStream.Start
        switch EventStream.Start.parse(lastEventID: request.header("Last-Event-ID"), since: since) {
        case .success(let s): start = s
        case .failure(let invalid): return .init(status: 400, contentType: "application/json", body: invalid.json)
        }
        guard let subscription = hub.subscribe() else {
            return .init(status: 503, contentType: "application/json", body: "{\"error\":\"too many readers of /v1/events\"}\n")
        }
        let stream = EventStream(journal: journal, hub: hub)
        return .init(status: 200, contentType: "text/event-stream", body: "") { write in
            await stream.run(from: start, filter: filter, subscription: subscription, write: write)
        }
    }

    /// `/readyz`: every source polled successfully within three intervals, and the journal writable.
    public func readiness(now: Timestamp = .now()) -> (ready: Bool, json: String) {
        readiness.withLock { r in
            var ready = r.journalWritable
            var sources: [String: Any] = [:]
            for (name, interval) in r.intervals {
                let last = r.lastSuccess[name]
                let ok = last.map { now.seconds(since: $0) <= 3 * interval } ?? false
                ready = ready && ok
                var entry: [String: Any] = ["ready": ok, "last_success": last.map { "\($0)" } ?? NSNull()]
                if !ok { entry["last_failure"] = r.lastFailure[name] ?? (last == nil ? "not polled yet" : "no recent success") }
                sources[name] = entry
            }
            let body: [String: Any] = ["ready": ready, "journal_writable": r.journalWritable, "sources": sources]
            let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
            return (ready, String(decoding: data, as: UTF8.self) + "\n")
        }
    }
}
