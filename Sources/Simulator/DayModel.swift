import VicinotifyCore

/// A call-centre day in miniature: every tick each agent may move one step through VICIdial's states
/// (login, READY/RING, QUEUE, INCALL with live/DEAD/3-WAY/PARK, DISPO, pauses first without a code and
/// then with one, system codes LAGGED and ANDIAL, PREVIEW, manual DIAL, campaign moves, logout and
/// re-login with a new session). Deterministic for a seed.
struct DayModel {
    static let names = ["Ada Lovelace", "Bond, James", "Grace Hopper", "Alan Turing", "Mary O'Brien",
                        "José Núñez", "Linus T.", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov"]
    static let campaigns = ["SALES", "SUPPORT", "TESTCAMP"]
    static let groups = ["AGENTS", "SUPPORT", "MIKESGROUP"]
    static let breakCodes = ["BRK2", "LUNCH", "TRAIN", "MEET"]

    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }

    /// The agents a floor starts with: `agent001` … with varied names, groups and campaigns.
    mutating func roster(_ n: Int) -> [SimAgent] {
        (1...max(1, n)).map { i in
            var a = SimAgent(user: String(format3(i)), fullName: DayModel.names[(i - 1) % DayModel.names.count])
            a.campaignID = DayModel.campaigns[i % DayModel.campaigns.count]
            a.userGroup = DayModel.groups[i % DayModel.groups.count]
            a.sessionID = String(8_600_050 + i)
            a.userLevel = 1 + i % 3
            return a
        }
    }

    private func format3(_ i: Int) -> String {
        let d = String(i)
        return "agent" + String(repeating: "0", count: max(0, 3 - d.count)) + d
    }

    /// One step of one logged-in agent. Returns false when the agent logs out. Sub-statuses are never
    /// set here: the agent's call facts change, and the floor derives them as VICIdial does.
    mutating func step(_ a: inout SimAgent) -> Bool {
        switch a.status {
        case "PAUSED" where a.leadID > 0:  // DISPO
            if chance(0.5) { endCall(&a); a.status = "READY" }
        case "PAUSED" where a.previewLeadID > 0:  // PREVIEW, then the agent dials it
            if chance(0.4) { answer(&a, lead: a.previewLeadID, type: "manual"); a.previewLeadID = 0 }
        case "PAUSED" where a.pauseCode.isEmpty:  // a new pause record gets its code
            if chance(0.6) { a.pauseCode = chance(0.1) ? "LAGGED" : pick(DayModel.breakCodes) }
        case "PAUSED":
            if chance(0.04) { return false }
            if chance(0.35) { a.status = "READY" }
            else if chance(0.05) { a.campaignID = pick(DayModel.campaigns) }
            else if chance(0.05) { a.pauseCode = "" }  // a new pause record
        case "READY" where a.ringing:
            if chance(0.6) { a.ringing = false; answer(&a, lead: newLead(), type: "inbound") }
        case "READY":
            if chance(0.3) { a.status = "QUEUE" }
            else if chance(0.1) { a.ringing = true }
            else if chance(0.06) { a.status = "PAUSED"; a.pauseCode = "" }
            else if chance(0.01) { a.status = "PAUSED"; a.pauseCode = "ANDIAL" }
            else if chance(0.04) { a.status = "PAUSED"; a.pauseCode = ""; a.previewLeadID = newLead() }
            else if chance(0.04) { answer(&a, lead: newLead(), type: "manual"); a.dialing = true }
        case "QUEUE":
            if chance(0.7) { answer(&a, lead: newLead(), type: chance(0.7) ? "auto" : "inbound") }
        case "INCALL" where a.dialing:
            if chance(0.5) { a.dialing = false } else if chance(0.3) { a.dialing = false; a.status = "PAUSED" }
        case "INCALL" where a.customerGone:
            if chance(0.6) { a.customerGone = false; a.status = "PAUSED" }
        case "INCALL" where a.parked:
            if chance(0.4) { a.parked = false }
        case "INCALL":
            if chance(0.2) { a.customerGone = true }
            else if chance(0.05) { a.parked = true }
            else if chance(0.15) { a.status = "PAUSED" }
            else if chance(0.05) { answer(&a, lead: newLead(), type: "inbound") }  // a transferred call
        default:
            if chance(0.3) { a.status = "READY" }
        }
        return true
    }

    /// Whether a call arrives in an in-group this tick.
    mutating func callArrives() -> Bool { chance(0.25) }

    /// A ready agent takes the in-group's oldest waiting call.
    mutating func answerQueued(_ a: inout SimAgent) { answer(&a, lead: newLead(), type: "inbound") }

    /// A logged-out agent's chance to log in this tick.
    mutating func logsIn(_ a: inout SimAgent) -> Bool {
        guard chance(0.05) else { return false }
        a.status = "PAUSED"
        endCall(&a)
        a.pauseCode = "LOGIN"
        a.previewLeadID = 0
        a.sessionID = String(8_600_000 + rng.next() % 1000)
        if chance(0.2) { a.campaignID = pick(DayModel.campaigns) }
        return true
    }

    /// Puts a READY agent on `partner`'s call as a third party: both then show 3-WAY.
    mutating func joinsThreeWay(_ a: inout SimAgent, partner: SimAgent) -> Bool {
        guard a.status == "READY", !a.ringing, partner.status == "INCALL", partner.leadID > 0, !partner.dialing,
              chance(0.02) else { return false }
        a.status = "INCALL"
        a.leadID = partner.leadID
        a.callerID = partner.callerID
        return true
    }

    private mutating func answer(_ a: inout SimAgent, lead: Int64, type: String) {
        a.status = "INCALL"
        a.ringing = false
        a.customerGone = false
        a.parked = false
        a.leadID = lead
        a.callerID = SimAgent.callID(type: type, lead: lead)
        a.phoneNumber = "312555" + String(1000 + rng.next() % 9000)
        a.vendorLeadCode = String(100_000 + rng.next() % 900_000)
    }

    private mutating func endCall(_ a: inout SimAgent) {
        a.callsToday += 1
        a.leadID = 0
        a.callerID = ""
        a.phoneNumber = ""
        a.vendorLeadCode = ""
        a.ringing = false
        a.customerGone = false
        a.parked = false
        a.dialing = false
        // The call's agent_log row (which kept the code of the pause before it: LOGIN on the first call)
        // ends with the dispo; the next row has no code until the agent picks one.
        a.pauseCode = ""
    }

    private mutating func newLead() -> Int64 { Int64(1_000_000 + rng.next() % 8_000_000) }
}
