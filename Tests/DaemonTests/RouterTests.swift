@testable import Daemon
import Testing

/// The router: the first matching route, its middleware inside the global one, in order.
@Suite struct RouterTests {
    /// Records its name on the way in and out.
    struct Mark: HTTPMiddleware {
        let name: String
        func handle(_ context: HTTPContext, next: HTTPHandler) async -> OperationsServer.Reply {
            var reply = await next(context)
            reply.body = name + "(" + reply.body + ")"
            return reply
        }
    }

    static func get(_ router: Router, _ uri: String) async -> OperationsServer.Reply {
        await router.respond(to: OperationsServer.Request(method: "GET", uri: uri, headers: []))
    }

    @Test func routesMatchInOrderInsideTheirMiddleware() async {
        var router = Router(middleware: [Mark(name: "g")]) { _ in .init(status: 404, contentType: "text/plain", body: "none") }
        router.add("/a") { _ in .init(status: 200, contentType: "text/plain", body: "a") }
        router.add("/v1/x", [Mark(name: "v1")]) { c in .init(status: 200, contentType: "text/plain", body: c.query["q"]?.joined(separator: "+") ?? "") }
        router.add("/v1/", prefix: true, [Mark(name: "v1")]) { c in .init(status: 404, contentType: "text/plain", body: c.path) }
        #expect(await Self.get(router, "/a").body == "g(a)")
        #expect(await Self.get(router, "/v1/x?q=1,2&q=3").body == "g(v1(1+2+3))")
        #expect(await Self.get(router, "/v1/y?z=1").body == "g(v1(/v1/y))")
        let missing = await Self.get(router, "/b")
        #expect(missing.status == 404 && missing.body == "g(none)")
    }

    @Test func theTokenComesBeforeTheRouteAndItsScopeLimitsWhatIsAsked() async {
        let access = APIAccess(tokens: [.init(secret: "ssssssssssssssssssss", campaigns: ["SALES"])])
        var router = Router(middleware: []) { _ in .init(status: 404, contentType: "text/plain", body: "") }
        router.add("/v1/agents", [CORS(access: access), BearerScope(access: access)]) { c in
            .init(status: 200, contentType: "text/plain", body: c.campaigns.joined(separator: ","))
        }
        #expect(await Self.get(router, "/v1/agents").status == 401)
        #expect(await Self.get(router, "/v1/agents?access_token=ssssssssssssssssssss").body == "SALES")
        #expect(await Self.get(router, "/v1/agents?access_token=ssssssssssssssssssss&campaign=SUPPORT").status == 403)
        let preflight = await router.respond(to: .init(method: "OPTIONS", uri: "/v1/agents", headers: []))
        #expect(preflight.status == 204, "a preflight needs no token")
    }
}
