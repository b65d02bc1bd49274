import Foundation

/// The simulator's control interface, under `/sim/`, JSON in and out. Tests use it to script exact
/// changes and faults; it is documented in README.md.
///
///     GET    /sim/agents            the floor: logged-in agents in table order, sub-status derived
///     POST   /sim/agents/{user}     log in (if needed) and set fields: {"status":"INCALL","lead_id":5,...};
///                                   the call facts behind the sub-status: "ringing", "parked",
///                                   "customer_gone", "dialing" (booleans), "preview_lead_id", "channel"
///                                   (call|email|chat), "call_type" (auto|manual|inbound: a call id of
///                                   that kind); "sub_status" as a shorthand for one fact (3-WAY and
///                                   DISPO only follow from the floor); "duplicate":true adds a second row
///     DELETE /sim/agents/{user}     log out
///     POST   /sim/tick              advance the simulated day: {"count":N}
///     POST   /sim/fault             misbehave: {"status":500,"body":"...","html":true (an HTML page, with status),"delay_ms":3000,
///                                    "drop":true,"count":N (0 = until cleared),"function":"agent_status"}
///     DELETE /sim/fault             behave again
///     POST   /sim/auth              an API user (the primary one unless "account" names another, which
///                                    is created): {"user":.. (renames),"password":..,"user_level":..,
///                                    "view_reports":..,"ip_blocked":..,"allowed_functions":[..]|null,
///                                    "allowed_campaigns":[..]|null,"viewable_groups":[..]|null,
///                                    "two_factor":..,"unlock":true}
///     POST   /sim/clock             {"advance_s":N}: move the server's clock forward
///     GET    /sim/stats             {"requests":{function: count},"methods":{GET|POST: count},
///                                    "pass_in_url":N,"failed_logins":N,"accounts":{user:{failed_login_count,
///                                    locked,last_login}},"locked":bool (primary),"ticks":N,"version":N}
enum ControlAPI {
    static func answer(method: String, path: String, body: [UInt8], floor: inout Floor) -> Reply {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        if !body.isEmpty, (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] == nil {
            return error(400, "body is not a JSON object")
        }
        let parts = path.split(separator: "/").map(String.init)  // ["sim", "agents", user]
        switch (method, parts.dropFirst().first ?? "", parts.count) {
        case ("GET", "agents", 2):
            let byLead = floor.incallByLead
            return ok(["agents": floor.loggedIn.map { $0.json(sharingLead: byLead[$0.leadID] ?? 0) }, "version": floor.version])
        case ("POST", "agents", 3):
            let user = parts[2].removingPercentEncoding ?? parts[2]
            var agent = floor.loggedIn.first { $0.user == user } ?? floor.users[user] ?? SimAgent(user: user)
            let problems = agent.apply(json)
            guard problems.isEmpty else { return error(400, problems.joined(separator: "; ")) }
            floor.login(agent)
            if (json["duplicate"] as? NSNumber)?.boolValue == true { floor.duplicate(user) }
            floor.version += 1
            return ok(agent.json(sharingLead: floor.incallByLead[agent.leadID] ?? 0))
        case ("DELETE", "agents", 3):
            let user = parts[2].removingPercentEncoding ?? parts[2]
            floor.logout(user)
            floor.version += 1
            return ok(["user": user])
        case ("POST", "queues", 3):
            // {"waiting": N, "oldest_wait": S}: N calls waiting, the oldest S seconds, the rest arriving since
            // (new ones are offered, fewer ones hung up); {"answer": K}: ready agents take the K oldest;
            // {"drop": K}: the K oldest hang up.
            let id = parts[2].removingPercentEncoding ?? parts[2]
            var q = floor.queues[id] ?? SimQueue(id: id, name: json["name"] as? String ?? id)
            let now = Date().addingTimeInterval(floor.clockOffset)
            if let n = (json["waiting"] as? NSNumber)?.intValue {
                let oldest = (json["oldest_wait"] as? NSNumber)?.doubleValue ?? 0
                let before = q.waiting.count
                q.waiting = (0..<max(0, n)).map { now.addingTimeInterval(-oldest * Double(n - $0) / Double(max(1, n))) }
                q.offered += max(0, q.waiting.count - before)
                q.dropped += max(0, before - q.waiting.count)
            }
            for _ in 0..<min((json["answer"] as? NSNumber)?.intValue ?? 0, q.waiting.count) {
                guard floor.answerQueued(&q, now: now) else { return error(409, "no ready agent to answer \(id)'s call") }
            }
            q.dropOldest((json["drop"] as? NSNumber)?.intValue ?? 0)
            floor.queues[id] = q
            floor.version += 1
            return ok(["queue": id, "waiting": q.waiting.count, "offered": q.offered, "answered": q.answered, "dropped": q.dropped])
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
            let name = json["account"] as? String ?? floor.primary
            var a = floor.accounts.removeValue(forKey: name) ?? SimAccount(user: name, password: "")
            if let v = json["user"] as? String { a.user = v }
            if let v = json["password"] as? String { a.password = v }
            if let v = json["user_level"] as? NSNumber { a.userLevel = v.intValue }
            if let v = json["view_reports"] as? NSNumber { a.viewReports = v.boolValue }
            if let v = json["ip_blocked"] as? NSNumber { a.ipBlocked = v.boolValue }
            if let v = json["two_factor"] as? NSNumber { a.twoFactor = v.boolValue }
            if json.keys.contains("allowed_functions") { a.allowedFunctions = json["allowed_functions"] as? [String] }
            if json.keys.contains("allowed_campaigns") { a.allowedCampaigns = json["allowed_campaigns"] as? [String] }
            if json.keys.contains("viewable_groups") { a.viewableGroups = json["viewable_groups"] as? [String] }
            if (json["unlock"] as? NSNumber)?.boolValue == true { a.failedLoginCount = 0 }
            floor.accounts[a.user] = a
            if name == floor.primary { floor.primary = a.user }
            return ok(["user": a.user])
        case ("POST", "clock", 2):
            floor.clockOffset += (json["advance_s"] as? NSNumber)?.doubleValue ?? 0
            return ok(["clock_offset_s": floor.clockOffset])
        case ("GET", "stats", 2):
            let now = Date().addingTimeInterval(floor.clockOffset)
            return ok(["requests": floor.requests, "methods": floor.methods, "pass_in_url": floor.passInURL,
                       "failed_logins": floor.failedLogins, "ticks": floor.ticks, "version": floor.version,
                       "accounts": floor.accounts.mapValues { $0.json(at: now) },
                       "locked": floor.accounts[floor.primary]?.isLocked(at: now) ?? false])
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
