import Foundation
import VicinotifyCore

/// The simulated server's whole state: agents, the API user, injected faults, request counts.
struct Floor {
    /// `vicidial_live_agents` in table order; logouts leave gaps that later logins fill.
    var slots: [SimAgent?] = []
    /// Every user VICIdial knows, logged in or not.
    var users: [String: SimAgent] = [:]
    var model: DayModel
    var ticks = 0

    var auth = AuthSettings()
    var failedLogins = 0
    var lockedUntil: Date?
    var faults: [Fault] = []
    var requests: [String: Int] = [:]
    /// Bumped by every change to any agent: lets tests wait for "something changed".
    var version = 0

    init(agents: Int, seed: UInt64, loggedIn: Bool) {
        model = DayModel(seed: seed)
        for a in model.roster(agents) {
            users[a.user] = a
            if loggedIn { slots.append(a) }
        }
    }

    var loggedIn: [SimAgent] { slots.compactMap { $0 } }

    func slot(of user: String) -> Int? { slots.firstIndex { $0?.user == user } }

    mutating func login(_ a: SimAgent) {
        users[a.user] = a
        if let i = slot(of: a.user) { slots[i] = a; return }
        if let gap = slots.firstIndex(where: { $0 == nil }) { slots[gap] = a } else { slots.append(a) }
    }

    mutating func logout(_ user: String) {
        if let i = slot(of: user) { slots[i] = nil }
        while slots.last == .some(nil) { slots.removeLast() }
    }

    /// Advances the day by one step for every agent. Returns how many agents changed.
    mutating func tick() -> Int {
        ticks += 1
        var changed = 0
        for i in slots.indices {
            guard var a = slots[i] else { continue }
            let before = a
            if model.step(&a) {
                if a != before { slots[i] = a; users[a.user] = a; changed += 1 }
            } else {
                slots[i] = nil
                changed += 1
            }
        }
        let online = Set(loggedIn.map(\.user))
        for user in users.keys.sorted() where !online.contains(user) {
            var a = users[user]!
            if model.logsIn(&a) { login(a); changed += 1 }
        }
        while slots.last == .some(nil) { slots.removeLast() }
        if changed > 0 { version += 1 }
        return changed
    }
}

/// The API user as VICIdial would check it.
struct AuthSettings {
    var user = "apiuser"
    var password = "apipass"
    var userLevel = 9
    var viewReports = true
    var ipBlocked = false
    /// `nil`: every function allowed.
    var allowedFunctions: [String]?
}

/// A scripted misbehaviour for the next API requests.
struct Fault {
    var status = 200
    var body: String?
    /// Answer with a web server's HTML error page.
    var html = false
    var delayMilliseconds = 0
    /// Close the connection without answering.
    var drop = false
    /// Requests left to affect; `nil` = until cleared.
    var remaining: Int?
    /// Only requests for this function; `nil` = all.
    var function: String?
}
