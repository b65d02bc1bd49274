import Foundation

/// One agent as the simulated VICIdial stores it: a `vicidial_live_agents` row plus `vicidial_users`
/// fields, and the facts of its call from which VICIdial derives the sub-status (never stored as a label).
public struct SimAgent: Sendable, Hashable {
    public var user: String
    public var status = "PAUSED"
    /// Sticks after the pause ends, as in VICIdial. Pausing opens a record with an empty code.
    public var pauseCode = "LOGIN"
    public var leadID: Int64 = 0
    public var callerID = ""
    public var campaignID = "SALES"
    public var sessionID = "8600051"
    public var callsToday = 0
    public var fullName: String
    public var userGroup = "AGENTS"
    public var userLevel = 1
    public var phoneNumber = ""
    public var vendorLeadCode = ""

    // The facts behind the sub-status.
    /// The phone is on-hook and ringing (`ring_callerid` set).
    public var ringing = false
    /// A lead being previewed before the dial; 0 when none.
    public var previewLeadID: Int64 = 0
    /// The call is parked.
    public var parked = false
    /// The customer's leg of the call is gone.
    public var customerGone = false
    /// A manual dial not yet answered.
    public var dialing = false
    /// `call`, `email` or `chat`: an email or chat never shows DEAD.
    public var channel = "call"

    public init(user: String, fullName: String? = nil) {
        self.user = user
        self.fullName = fullName ?? user
    }

    /// The sub-status and lead id VICIdial prints for this agent, as non_agent_api.php nests its rules
    /// (13135-13212; later rules win, so they are tested first here): for INCALL, PARK when parked; else
    /// DEAD when a chat's customer left or a call has no live-call row (an email is never DEAD); else DIAL
    /// for a manual dial (comments MANUAL: an `M` call id) still ringing out; else 3-WAY. PAUSED: PREVIEW,
    /// else DISPO. Then RING when nothing else applies.
    /// - Parameter sharingLead: INCALL agents on the floor with this agent's lead id, itself included.
    public func shown(sharingLead: Int) -> (subStatus: String, leadID: Int64) {
        var sub = ""
        let lead = status == "PAUSED" && previewLeadID > 0 ? previewLeadID : leadID
        if status == "INCALL" {
            if parked { sub = "PARK" }
            else if customerGone, channel == "chat" || channel == "call" { sub = "DEAD" }
            else if dialing, callerID.hasPrefix("M") { sub = "DIAL" }
            else if leadID > 0, sharingLead > 1 { sub = "3-WAY" }
        } else if status == "PAUSED" {
            if previewLeadID > 0 { sub = "PREVIEW" } else if leadID > 0 { sub = "DISPO" }
        }
        if sub.isEmpty, ringing { sub = "RING" }
        return (sub, lead)
    }

    /// Sets the fields named in a control request (JSON object with event-style field names).
    /// - Returns: problems: unknown names, or a sub-status that only the floor can derive.
    mutating func apply(_ fields: [String: Any]) -> [String] {
        var problems: [String] = []
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            let text = value as? String ?? (value as? NSNumber)?.stringValue ?? "\(value)"
            let flag = (value as? NSNumber)?.boolValue ?? (text == "true")
            switch key {
            case "status": status = text
            case "pause_code": pauseCode = text
            case "lead_id": leadID = Int64(text) ?? 0
            case "callerid": callerID = text
            case "campaign_id": campaignID = text
            case "session_id": sessionID = text
            case "calls_today": callsToday = Int(text) ?? 0
            case "full_name": fullName = text
            case "user_group": userGroup = text
            case "user_level": userLevel = Int(text) ?? 1
            case "phone_number": phoneNumber = text
            case "vendor_lead_code": vendorLeadCode = text
            case "ringing": ringing = flag
            case "preview_lead_id": previewLeadID = Int64(text) ?? 0
            case "parked": parked = flag
            case "customer_gone": customerGone = flag
            case "dialing": dialing = flag
            case "channel": channel = text
            case "sub_status":
                // A shorthand for the facts; 3-WAY and DISPO follow from the floor only.
                ringing = text == "RING"
                parked = text == "PARK"
                customerGone = text == "DEAD"
                dialing = text == "DIAL"
                if text == "PREVIEW" { previewLeadID = leadID; leadID = 0 } else if text == "" { previewLeadID = 0 }
                if !["", "RING", "PARK", "DEAD", "DIAL", "PREVIEW"].contains(text) {
                    problems.append("sub_status \(text) is derived: \(text == "3-WAY" ? "put two INCALL agents on one lead_id" : "PAUSED with a lead_id")")
                }
            case "user", "duplicate", "call_type": break
            default: problems.append("unknown field \(key)")
            }
        }
        if let type = fields["call_type"] as? String { callerID = Self.callID(type: type, lead: leadID) }
        return problems
    }

    /// A 20-character call id as VICIdial makes them: `V` auto-dialled, `M` manual, `Y` inbound, then
    /// MMDDhhmmss and the lead id in 9 digits.
    static func callID(type: String, lead: Int64) -> String {
        let prefix = switch type {
        case "auto": "V"
        case "inbound": "Y"
        case "manual": "M"
        default: ""
        }
        guard !prefix.isEmpty else { return "" }
        let lead9 = String(lead)
        return prefix + "1124100000" + String(repeating: "0", count: max(0, 9 - lead9.count)) + lead9
    }

    func json(sharingLead: Int) -> [String: Any] {
        let shown = shown(sharingLead: sharingLead)
        return [
            "user": user, "status": status, "sub_status": shown.subStatus, "pause_code": pauseCode,
            "lead_id": shown.leadID, "callerid": callerID, "campaign_id": campaignID, "session_id": sessionID,
            "calls_today": callsToday, "full_name": fullName, "user_group": userGroup, "user_level": userLevel,
            "phone_number": phoneNumber, "vendor_lead_code": vendorLeadCode,
        ]
    }
}
