import VicinotifyCore

/// A call-centre day in miniature: every tick each agent may move one step through VICIdial's states
/// (login, READY/RING, QUEUE, INCALL with live/DEAD/3-WAY/PARK, DISPO, pauses with codes, PREVIEW,
/// manual DIAL, campaign moves, logout and re-login). Deterministic for a seed.
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
            if i % 4 != 0 { a.computerIP = "10.0.\(i / 250).\(i % 250 + 1)" }
            return a
        }
    }

    private func format3(_ i: Int) -> String {
        let d = String(i)
        return "agent" + String(repeating: "0", count: max(0, 3 - d.count)) + d
    }

    /// One step of one logged-in agent. Returns false when the agent logs out.
    mutating func step(_ a: inout SimAgent) -> Bool {
        switch (a.status, a.subStatus) {
        case ("PAUSED", "DISPO"):
            if chance(0.5) { endCall(&a); a.status = "READY"; a.subStatus = "" }
        case ("PAUSED", "PREVIEW"):
            if chance(0.4) { a.status = "INCALL"; a.subStatus = ""; a.callerID = callID(a.leadID) }
        case ("PAUSED", _):
            if chance(0.04) { return false }
            if chance(0.35) { a.status = "READY"; a.subStatus = "" }
            else if chance(0.05) { a.campaignID = pick(DayModel.campaigns) }
            else if chance(0.05) { a.pauseCode = pick(DayModel.breakCodes) }
        case ("READY", "RING"):
            if chance(0.6) { answer(&a) }
        case ("READY", _):
            if chance(0.3) { a.status = "QUEUE" }
            else if chance(0.1) { a.subStatus = "RING" }
            else if chance(0.06) { a.status = "PAUSED"; a.pauseCode = pick(DayModel.breakCodes) }
            else if chance(0.04) { a.status = "PAUSED"; a.subStatus = "PREVIEW"; a.leadID = newLead() }
            else if chance(0.04) { a.status = "INCALL"; a.subStatus = "DIAL"; a.leadID = newLead(); a.callerID = callID(a.leadID) }
        case ("QUEUE", _):
            if chance(0.7) { answer(&a) }
        case ("INCALL", "DIAL"):
            if chance(0.5) { a.subStatus = "" } else if chance(0.3) { a.status = "PAUSED"; a.subStatus = "DISPO" }
        case ("INCALL", "DEAD"):
            if chance(0.6) { a.status = "PAUSED"; a.subStatus = "DISPO" }
        case ("INCALL", "3-WAY"), ("INCALL", "PARK"):
            if chance(0.4) { a.subStatus = "" }
        case ("INCALL", _):
            if chance(0.2) { a.subStatus = "DEAD" }
            else if chance(0.05) { a.subStatus = "3-WAY" }
            else if chance(0.05) { a.subStatus = "PARK" }
            else if chance(0.15) { a.status = "PAUSED"; a.subStatus = "DISPO" }
            else if chance(0.05) { answer(&a) }  // a transferred call: same status, another lead
        default:
            if chance(0.3) { a.status = "READY"; a.subStatus = "" }
        }
        return true
    }

    /// A logged-out agent's chance to log in this tick.
    mutating func logsIn(_ a: inout SimAgent) -> Bool {
        guard chance(0.05) else { return false }
        a.status = "PAUSED"
        a.subStatus = ""
        a.pauseCode = "LOGIN"
        a.leadID = 0
        a.callerID = ""
        if chance(0.2) { a.campaignID = pick(DayModel.campaigns) }
        return true
    }

    private mutating func answer(_ a: inout SimAgent) {
        a.status = "INCALL"
        a.subStatus = ""
        a.leadID = newLead()
        a.callerID = callID(a.leadID)
        a.phoneNumber = "312555" + String(1000 + rng.next() % 9000)
        a.vendorLeadCode = String(100_000 + rng.next() % 900_000)
    }

    private mutating func endCall(_ a: inout SimAgent) {
        a.callsToday += 1
        a.leadID = 0
        a.callerID = ""
        a.phoneNumber = ""
        a.vendorLeadCode = ""
    }

    private mutating func newLead() -> Int64 { Int64(1_000_000 + rng.next() % 8_000_000) }

    /// VICIdial's 20-character call id: `M` + MMDDhhmmss + 9-digit lead id.
    private mutating func callID(_ lead: Int64) -> String {
        let lead9 = String(lead)
        return "M" + String(1_124_100_000 + rng.next() % 99_999) + String(repeating: "0", count: max(0, 9 - lead9.count)) + lead9
    }
}
