import Foundation

/// One agent as the simulated VICIdial stores it (a `vicidial_live_agents` row plus `vicidial_users` fields).
public struct SimAgent: Sendable, Hashable {
    public var user: String
    public var status = "PAUSED"
    public var subStatus = ""
    /// Sticks after the pause ends, as in VICIdial.
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
    /// `nil`: VICIdial finds no old-enough login record, so `include_ip` rows lack the field.
    public var computerIP: String?

    public init(user: String, fullName: String? = nil) {
        self.user = user
        self.fullName = fullName ?? user
    }

    /// Sets the fields named in a control request (JSON object with event-style field names).
    /// - Returns: the names it did not know.
    mutating func apply(_ fields: [String: Any]) -> [String] {
        var unknown: [String] = []
        for (key, value) in fields {
            let text = value as? String ?? (value as? NSNumber)?.stringValue ?? "\(value)"
            switch key {
            case "status": status = text
            case "sub_status": subStatus = text
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
            case "computer_ip": computerIP = value is NSNull ? nil : text
            case "user": break
            default: unknown.append(key)
            }
        }
        return unknown
    }

    var json: [String: Any] {
        var d: [String: Any] = [
            "user": user, "status": status, "sub_status": subStatus, "pause_code": pauseCode, "lead_id": leadID,
            "callerid": callerID, "campaign_id": campaignID, "session_id": sessionID, "calls_today": callsToday,
            "full_name": fullName, "user_group": userGroup, "user_level": userLevel, "phone_number": phoneNumber,
            "vendor_lead_code": vendorLeadCode,
        ]
        d["computer_ip"] = computerIP
        return d
    }
}

