import Foundation
import VicinotifyCore

/// The simulated server's whole state: agents, API users, injected faults, request counts, its clock.
struct Floor {
    /// `vicidial_live_agents` in table order; logouts leave gaps that later logins fill. A user may have
    /// more than one row (VICIdial has no unique key there): the first is the one `agent_status` reads.
    var slots: [SimAgent?] = []
    /// Every user VICIdial knows, logged in or not.
    var users: [String: SimAgent] = [:]
    var model: DayModel
    var ticks = 0
    /// Each agent steps every `spread` ticks, the floor staggered across them: churn as steady as a real floor's.
    var spread = 1

    /// API users by name; `primary` is the one `/sim/auth` edits unless told otherwise.
    var accounts: [String: SimAccount] = ["apiuser": SimAccount(user: "apiuser", password: "apipass")]
    var primary = "apiuser"
    /// Failed logins counted against known users (BAD answers), over the run.
    var failedLogins = 0
    var faults: [Fault] = []
    var requests: [String: Int] = [:]
    /// API requests by HTTP method, and how many carried `pass` in the URL.
    var methods: [String: Int] = [:]
    var passInURL = 0
    /// Added to the wall clock: lets tests move past VICIdial's 15-minute lockout window.
    var clockOffset: TimeInterval = 0
    /// Bumped by every change to any agent: lets tests wait for "something changed".
    var version = 0
    /// In-groups by id, with their waiting calls.
    var queues: [String: SimQueue] = ["SUPPORT": SimQueue(id: "SUPPORT", name: "Support line"),
                                      "BILLING": SimQueue(id: "BILLING", name: "Billing line")]

    init(agents: Int, seed: UInt64, loggedIn: Bool) {
        model = DayModel(seed: seed)
        for a in model.roster(agents) {
            users[a.user] = a
            if loggedIn { slots.append(a) }
        }
    }

    var loggedIn: [SimAgent] { slots.compactMap { $0 } }

    /// INCALL rows per lead id, for the 3-WAY rule.
    var incallByLead: [Int64: Int] {
        loggedIn.reduce(into: [:]) { if $1.status == "INCALL", $1.leadID > 0 { $0[$1.leadID, default: 0] += 1 } }
    }

    /// Each logged-in row with its derived sub-status and shown lead id applied, as VICIdial prints it.
    func shownRows() -> [(agent: SimAgent, subStatus: String, leadID: Int64)] {
        let byLead = incallByLead
        return loggedIn.map { a in
            let s = a.shown(sharingLead: byLead[a.leadID] ?? 0)
            return (a, s.subStatus, s.leadID)
        }
    }

    func slot(of user: String) -> Int? { slots.firstIndex { $0?.user == user } }

    mutating func login(_ a: SimAgent) {
        users[a.user] = a
        if let i = slot(of: a.user) { slots[i] = a; return }
        if let gap = slots.firstIndex(where: { $0 == nil }) { slots[gap] = a } else { slots.append(a) }
    }

    /// A second live row for a logged-in user, as VICIdial sometimes leaves behind.
    mutating func duplicate(_ user: String) {
        guard let i = slot(of: user), let a = slots[i] else { return }
        slots.append(a)
    }

    mutating func logout(_ user: String) {
        for i in slots.indices where slots[i]?.user == user { slots[i] = nil }
        while slots.last == .some(nil) { slots.removeLast() }
    }

    /// Advances the day by one step for every agent. Returns how many agents changed.
    mutating func tick() -> Int {
        ticks += 1
        var changed = 0
        for i in slots.indices where (i + ticks) % spread == 0 {
            guard var a = slots[i] else { continue }
            let before = a
            if model.step(&a) {
                if a != before { slots[i] = a; users[a.user] = a; changed += 1 }
            } else {
                slots[i] = nil
                changed += 1
            }
        }
        if let partner = slots.lazy.compactMap({ $0 }).first(where: { $0.status == "INCALL" && $0.leadID > 0 }) {
            for i in slots.indices {
                guard var a = slots[i], a.user != partner.user else { continue }
                if model.joinsThreeWay(&a, partner: partner) { slots[i] = a; users[a.user] = a; changed += 1; break }
            }
        }
        changed += stepQueues(now: Date().addingTimeInterval(clockOffset))
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
