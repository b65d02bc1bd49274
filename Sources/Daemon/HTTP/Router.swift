/// A request on its way through middleware to its route: the path and query read once, and what the
/// middleware found out (the token's scope, the sources and campaigns the reader may see).
struct HTTPContext: Sendable {
    var request: OperationsServer.Request
    var path: String
    /// Query parameters, each repeatable or comma-separated.
    var query: [String: [String]]
    var scope = APIAccess.Scope.everything
    /// The `source` and `campaign` asked for, within the scope (the scope itself when none was asked).
    var sources: [String] = []
    var campaigns: [String] = []

    init(_ request: OperationsServer.Request) {
        self.request = request
        let uri = request.uri
        path = String(uri.prefix { $0 != "?" })
        let rawQuery = uri.firstIndex(of: "?").map { String(uri[uri.index(after: $0)...]) } ?? ""
        query = Self.parameters(rawQuery)
    }

    func header(_ name: String) -> String? { request.header(name) }

    static func parameters(_ query: String) -> [String: [String]] {
        var params: [String: [String]] = [:]
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if kv.count == 2 { params[kv[0], default: []] += kv[1].split(separator: ",").map(String.init) }
        }
        return params
    }
}

typealias HTTPHandler = @Sendable (HTTPContext) async -> OperationsServer.Reply

/// One concern of every request (a check, headers, a log line), around the handler it is given.
protocol HTTPMiddleware: Sendable {
    func handle(_ context: HTTPContext, next: HTTPHandler) async -> OperationsServer.Reply
}

/// The listener's routes: each a path (or a path prefix) with its own middleware, inside the middleware
/// every request goes through. The first route that matches answers.
struct Router: Sendable {
    private struct Route: Sendable {
        var path: String
        var isPrefix: Bool
        var handler: HTTPHandler
        func matches(_ p: String) -> Bool { isPrefix ? p.hasPrefix(path) : p == path }
    }
    private var routes: [Route] = []
    private let global: [any HTTPMiddleware]
    private let notFound: HTTPHandler

    init(middleware: [any HTTPMiddleware], notFound: @escaping HTTPHandler) {
        global = middleware
        self.notFound = notFound
    }

    /// Answers `path` (or every path under it, with `prefix`) with `handler`, inside `middleware`.
    mutating func add(_ path: String, prefix: Bool = false, _ middleware: [any HTTPMiddleware] = [], _ handler: @escaping HTTPHandler) {
        routes.append(Route(path: path, isPrefix: prefix, handler: Self.chain(middleware, handler)))
    }

    func respond(to request: OperationsServer.Request) async -> OperationsServer.Reply {
        let context = HTTPContext(request)
        let handler = routes.first { $0.matches(context.path) }?.handler ?? notFound
        return await Self.chain(global, handler)(context)
    }

    /// `handler` inside `middleware`, the first outermost.
    static func chain(_ middleware: [any HTTPMiddleware], _ handler: @escaping HTTPHandler) -> HTTPHandler {
        middleware.reversed().reduce(handler) { next, m in { context in await m.handle(context, next: next) } }
    }
}
