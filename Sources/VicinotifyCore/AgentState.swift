/// What VICIdial reports about one logged-in agent, as of one poll.
///
/// `pauseCode` is normalised to `""` unless `status` is `PAUSED`: VICIdial keeps showing the code of the
/// last pause after the pause ends, and a stale code must neither appear in events nor count as a change.
public struct AgentState: Sendable, Hashable {
    public var user: String
    public var status: String
    public var subStatus: String
    public var pauseCode: String
    public var leadID: Int64
    public var callerID: String
    public var campaignID: String
    public var sessionID: String
    public var callsToday: Int
    public var fullName: String
    public var userGroup: String
    public var userLevel: Int
    /// Only `agent_status` reports these two; `nil` when the source cannot know them.
    public var phoneNumber: String?
    public var vendorLeadCode: String?

    public init(
        user: String, status: String, subStatus: String = "", pauseCode: String = "", leadID: Int64 = 0,
        callerID: String = "", campaignID: String = "", sessionID: String = "", callsToday: Int = 0,
        fullName: String = "", userGroup: String = "", userLevel: Int = 1,
        phoneNumber: String? = nil, vendorLeadCode: String? = nil
    ) {
        self.user = user
        self.status = status
        self.subStatus = subStatus
        self.pauseCode = status == AgentState.paused ? pauseCode : ""
        self.leadID = leadID
        self.callerID = callerID
        self.campaignID = campaignID
        self.sessionID = sessionID
        self.callsToday = callsToday
        self.fullName = fullName
        self.userGroup = userGroup
        self.userLevel = userLevel
        self.phoneNumber = phoneNumber
        self.vendorLeadCode = vendorLeadCode
    }

    public static let paused = "PAUSED"

    /// The type of the current call, read from the call id's prefix as VICIdial's real-time report does.
    public var callType: CallType { CallType(callerID: callerID) }

    /// Whether `other` is the same state (status, sub-status, pause code) as far as time in state goes:
    /// a new call, a campaign move or an edit of the user do not restart the clock.
    public func isSameState(as other: AgentState) -> Bool {
        status == other.status && subStatus == other.subStatus && pauseCode == other.pauseCode
    }

    /// The fields whose values differ between `self` and `other`, in `AgentField.allCases` order.
    public func changedFields(to other: AgentState) -> [AgentField] {
        var out: [AgentField] = []
        if status != other.status { out.append(.status) }
        if subStatus != other.subStatus { out.append(.subStatus) }
        if pauseCode != other.pauseCode { out.append(.pauseCode) }
        if leadID != other.leadID { out.append(.leadID) }
        if callerID != other.callerID { out.append(.callerID) }
        if phoneNumber != other.phoneNumber { out.append(.phoneNumber) }
        if vendorLeadCode != other.vendorLeadCode { out.append(.vendorLeadCode) }
        if campaignID != other.campaignID { out.append(.campaignID) }
        if userGroup != other.userGroup { out.append(.userGroup) }
        if fullName != other.fullName { out.append(.fullName) }
        if userLevel != other.userLevel { out.append(.userLevel) }
        if sessionID != other.sessionID { out.append(.sessionID) }
        if callsToday != other.callsToday { out.append(.callsToday) }
        return out
    }
}

/// A tracked field of `AgentState`, named as in the event JSON.
public enum AgentField: String, Sendable, CaseIterable {
    case status, subStatus = "sub_status", pauseCode = "pause_code"
    case leadID = "lead_id", callerID = "callerid", phoneNumber = "phone_number", vendorLeadCode = "vendor_lead_code"
    case campaignID = "campaign_id", userGroup = "user_group", fullName = "full_name", userLevel = "user_level"
    case sessionID = "session_id", callsToday = "calls_today"

    /// Which event type a change of this field implies, before priorities are applied.
    public var eventType: EventType {
        switch self {
        case .status, .subStatus, .pauseCode: .statusChanged
        case .leadID, .callerID, .phoneNumber, .vendorLeadCode: .callChanged
        default: .updated
        }
    }
}
