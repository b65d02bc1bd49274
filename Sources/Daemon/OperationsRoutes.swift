import Journal
import Logging
import VicinotifyCore

/// The listener's routes: operations (`/metrics`, `/healthz`, `/readyz`), the wallboard (`/`), and `/v1/*`
/// (the floor, the alert rules, the event stream) behind CORS and the bearer token's scope. Every request
/// passes the `Host` check and is logged at debug.
extension Operations {
    func router(live: LiveFloor, hub: EventHub, access: APIAccess, journal: Journal, sinks: [String], listenHost: String,
                logger: Logger) -> Router {
        var router = Router(middleware: [RequestLog(logger: logger), HostCheck(access: access, listenHost: listenHost)]) { _ in
            .init(status: 404, contentType: "text/plain", body: "not found: try /, /v1/agents, /metrics, /healthz or /readyz\n")
        }
        router.add("/metrics") { [self] _ in
            await refresh(journal: journal, sinks: sinks)
            metrics.set("vicinotify_event_readers", [], Double(hub.readers))
            metrics.set("vicinotify_event_reader_overflows_total", [], Double(hub.overflows))
            return .init(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition())
        }
        router.add("/healthz") { _ in .init(status: 200, contentType: "application/json", body: "{\"status\":\"ok\"}\n") }
        router.add("/readyz") { [self] _ in
            let (ready, json) = readiness()
            return .init(status: ready ? 200 : 503, contentType: "application/json", body: json)
        }
        router.add("/favicon.ico") { _ in .init(status: 204, contentType: "image/x-icon", body: "") }
        for page in ["/", "/index.html"] {
            router.add(page) { _ in .init(status: 200, contentType: "text/html; charset=utf-8", body: Wallboard.page, headers: Wallboard.headers) }
        }
        let v1: [any HTTPMiddleware] = [CORS(access: access), BearerScope(access: access)]
        router.add("/v1/agents", v1) { context in
            var q = LiveFloor.Query(context.query)
            q.sources = context.sources
            q.campaigns = context.campaigns
            q.scopeCampaigns = context.scope.campaigns
            return .init(status: 200, contentType: "application/json", body: String(decoding: live.list(q), as: UTF8.self))
        }
        router.add("/v1/queues", v1) { context in
            let body = live.queues(sources: context.sources, campaigns: context.scope.campaigns)
            return .init(status: 200, contentType: "application/json", body: String(decoding: body, as: UTF8.self))
        }
        router.add("/v1/schemas/", prefix: true, v1) { context in
            let name = String(context.path.dropFirst("/v1/schemas/".count))
            guard let schema = EventSchemas.byName[name] else { return .json(404, "no such schema: see /v1/schemas/envelope's type list") }
            return .init(status: 200, contentType: "application/schema+json", body: String(decoding: schema, as: UTF8.self))
        }
        router.add("/v1/alerts", v1) { [alerts, queueAlerts] context in
            .init(status: 200, contentType: "application/json",
                  body: Wallboard.alerts(alerts.filter { context.scope.covers($0) }, queueRules: queueAlerts.filter { context.scope.covers($0) }))
        }
        router.add("/v1/events", v1) { context in
            var filter = EventStream.filter(context.query)
            filter.sources = context.sources
            filter.campaigns = context.campaigns
            return Self.events(context, filter: filter, hub: hub, journal: journal)
        }
        router.add("/v1/agents/", prefix: true, v1) { context in
            let parts = context.path.dropFirst("/v1/agents/".count).split(separator: "/", omittingEmptySubsequences: false)
                .map { String($0).removingPercentEncoding ?? String($0) }
            guard parts.count == 2 else { return .json(404, "no such path") }
            if let allowed = context.scope.sources, !allowed.contains(parts[0]) { return .json(403, "outside this token's sources or campaigns") }
            guard let body = live.agent(source: parts[0], user: parts[1], campaigns: context.scope.campaigns) else {
                return .json(404, "no such agent logged in")
            }
            return .init(status: 200, contentType: "application/json", body: String(decoding: body, as: UTF8.self))
        }
        router.add("/v1/", prefix: true, v1) { _ in .json(404, "no such path") }
        return router
    }

    /// `/v1/events`: a Server-Sent Events stream, or why not.
    private static func events(_ context: HTTPContext, filter: EventFilter, hub: EventHub, journal: Journal) -> OperationsServer.Reply {
        let start: EventStream.Start
        switch EventStream.Start.parse(lastEventID: context.header("Last-Event-ID"), since: context.query["since"]?.first) {
        case .success(let s): start = s
        case .failure(let invalid): return .init(status: 400, contentType: "application/json", body: invalid.json)
        }
        guard let subscription = hub.subscribe() else { return .json(503, "too many readers of /v1/events") }
        let stream = EventStream(journal: journal, hub: hub)
        return .init(status: 200, contentType: "text/event-stream", body: "") { write in
            await stream.run(from: start, filter: filter, subscription: subscription, write: write)
        }
    }
}
