import Logging
import VicinotifyCore

/// Without tokens, only requests to a loopback name or the listen address are answered (DNS rebinding).
struct HostCheck: HTTPMiddleware {
    let access: APIAccess
    let listenHost: String

    func handle(_ context: HTTPContext, next: HTTPHandler) async -> OperationsServer.Reply {
        guard access.allowsHost(context.header("Host"), listenHost: listenHost) else {
            return .json(421, "this listener answers only to its own address or a loopback name without http.tokens")
        }
        return await next(context)
    }
}

/// Browser origins allowed to read `/v1/*` (`http.cors_origins`): answers preflights, and tags answers.
struct CORS: HTTPMiddleware {
    let access: APIAccess

    func handle(_ context: HTTPContext, next: HTTPHandler) async -> OperationsServer.Reply {
        var reply = context.request.method == "OPTIONS" ? .init(status: 204, contentType: "text/plain", body: "") : await next(context)
        if let origin = access.allowedOrigin(context.header("Origin")) {
            reply.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                              ("Access-Control-Allow-Headers", "Authorization, Last-Event-ID"),
                              ("Access-Control-Allow-Methods", "GET, OPTIONS")]
        }
        return reply
    }
}

/// The bearer token (`Authorization`, or `access_token=` for `EventSource`) and its scope: 401 without a
/// known token, 403 when the `source` or `campaign` asked for lies outside it.
struct BearerScope: HTTPMiddleware {
    let access: APIAccess

    func handle(_ context: HTTPContext, next: HTTPHandler) async -> OperationsServer.Reply {
        var context = context
        switch access.scope(authorization: context.header("Authorization"), accessToken: context.query["access_token"]?.first) {
        case .success(let scope): context.scope = scope
        case .failure(let denial):
            var reply = OperationsServer.Reply.json(401, denial == .missing ? "a bearer token is required" : "unknown token")
            reply.headers.append(("WWW-Authenticate", "Bearer realm=\"vicinotify\""))
            return reply
        }
        guard let sources = Self.limit(context.query["source"] ?? [], to: context.scope.sources),
              let campaigns = Self.limit(context.query["campaign"] ?? [], to: context.scope.campaigns) else {
            return .json(403, "outside this token's sources or campaigns")
        }
        context.sources = sources
        context.campaigns = campaigns
        return await next(context)
    }

    /// `asked` within `scope`: the scope when nothing was asked, `nil` when something outside it was.
    static func limit(_ asked: [String], to scope: [String]?) -> [String]? {
        guard let scope else { return asked }
        if asked.isEmpty { return scope }
        return asked.allSatisfy(scope.contains) ? asked : nil
    }
}

/// One debug line per request: method, path (never the query, which may hold a token), status, time.
struct RequestLog: HTTPMiddleware {
    let logger: Logger

    func handle(_ context: HTTPContext, next: HTTPHandler) async -> OperationsServer.Reply {
        let start = ContinuousClock.now
        let reply = await next(context)
        logger.debug("http request", metadata: ["method": "\(context.request.method)", "path": "\(context.path)",
                                                "status": "\(reply.status)", "ms": "\((ContinuousClock.now - start).seconds * 1000)"])
        return reply
    }
}

extension OperationsServer.Reply {
    /// `{"error": message}` with `status`.
    static func json(_ status: Int, _ message: String) -> Self {
        var w = JSONWriter()
        w.raw("{\"error\":")
        w.string(message)
        w.raw("}\n")
        return .init(status: status, contentType: "application/json", body: String(decoding: w.bytes, as: UTF8.self))
    }
}
