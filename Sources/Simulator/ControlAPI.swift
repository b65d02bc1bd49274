import Foundation

/// The simulator's control interface, under `/sim/`, JSON in and out. Tests use it to script exact
/// changes and faults; it is documented in README.md.
///
///     GET    /sim/agents            the floor: logged-in agents in table order
///     POST   /sim/agents/{user}     log in (if needed) and set fields: {"status":"INCALL","lead_id":5,...}
///     DELETE /sim/agents/{user}     log out
///     POST   /sim/tick              advance the simulated day: {"count":N}
///     POST   /sim/fault             misbehave: {"status":500,"body":"...","html":true (an HTML page, with status),"delay_ms":3000,
///                                    "drop":true,"count":N (0 = until cleared),"function":"agent_status"}
///     DELETE /sim/fault             behave again
///     POST   /sim/auth              API user: {"user":..,"password":..,"user_level":..,"view_reports":..,
///                                    "ip_blocked":..,"allowed_functions":[..]|null,"unlock":true}
///     GET    /sim/stats             {"requests":{function: count},"failed_logins":N,"ticks":N,"version":N}
enum ControlAPI {
    static func answer(method: String, path: String, body: [UInt8], floor: inout Floor) -> Reply {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        if !body.isEmpty, (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] == nil {
            return error(400, "body is not a JSON object")
        }
        let parts = path.split(separator: "/").map(String.init)  // ["sim", "agents", user]
        switch (method, parts.dropFirst().first ?? "", parts.count) {
        case ("GET", "agents", 2):
            return ok(["agents": floor.loggedIn.map(\.json), "version": floor.version])
        case ("POST", "agents", 3):
            let user = parts[2].removingPercentEncoding ?? parts[2]
            var agent = floor.loggedIn.first { $0.user == user } ?? floor.users[user] ?? SimAgent(user: user)
            let unknown = agent.apply(json)
            guard unknown.isEmpty else { return error(400, "unknown fields: \(unknown.sorted())") }
            floor.login(agent)
            floor.version += 1
            return ok(agent.json)
        case ("DELETE", "agents", 3):
            let user = parts[2].removingPercentEncoding ?? parts[2]
            floor.logout(user)
            floor.version += 1
            return ok(["user": user])
        case ("POST", "tick", 2):
            let count = (json["count"] as? NSNumber)?.intValue ?? 1
            var changed = 0
            for _ in 0..<max(0, count) { changed += floor.tick() }
            return ok(["changed": changed, "ticks": floor.ticks])
        case ("POST", "fault", 2):
            var f = Fault()
            f.status = (json["status"] as? NSNumber)?.intValue ?? 200
            f.body = json["body"] as? String
            f.html = (json["html"] as? NSNumber)?.boolValue ?? false
            f.drop = (json["drop"] as? NSNumber)?.boolValue ?? false
            f.delayMilliseconds = (json["delay_ms"] as? NSNumber)?.intValue ?? 0
            let count = (json["count"] as? NSNumber)?.intValue ?? 1
            f.remaining = count == 0 ? nil : count
            f.function = json["function"] as? String
            floor.faults.append(f)
            return ok(["faults": floor.faults.count])
        case ("DELETE", "fault", 2):
            floor.faults = []
            return ok(["faults": 0])
        case ("POST", "auth", 2):
            if let v = json["user"] as? String { floor.auth.user = v }
            if let v = json["password"] as? String { floor.auth.password = v }
            if let v = json["user_level"] as? NSNumber { floor.auth.userLevel = v.intValue }
            if let v = json["view_reports"] as? NSNumber { floor.auth.viewReports = v.boolValue }
            if let v = json["ip_blocked"] as? NSNumber { floor.auth.ipBlocked = v.boolValue }
            if json.keys.contains("allowed_functions") { floor.auth.allowedFunctions = json["allowed_functions"] as? [String] }
            if (json["unlock"] as? NSNumber)?.boolValue == true { floor.lockedUntil = nil; floor.failedLogins = 0 }
            return ok(["user": floor.auth.user])
        case ("GET", "stats", 2):
            return ok(["requests": floor.requests, "failed_logins": floor.failedLogins, "ticks": floor.ticks,
                       "version": floor.version, "locked": floor.lockedUntil != nil])
        default:
            return error(404, "no such control endpoint: \(method) \(path)")
        }
    }

    private static func ok(_ object: Any) -> Reply {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Reply(contentType: "application/json", text: String(decoding: data, as: UTF8.self) + "\n")
    }

    private static func error(_ status: Int, _ message: String) -> Reply {
        var r = ok(["error": message])
        r.status = status
        return r
    }
}
