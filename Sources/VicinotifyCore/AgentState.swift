/// What VICIdial reports about one logged-in agent, as of one poll.
///
/// `pauseCode` is normalised to `""` unless `status` is `PAUSED`: VICIdial keeps showing the code of the
/// last pause after the pause ends, and a stale code must neither appear in events nor count as a change.
/// It is `""` during `DISPO` too, as the real-time report shows it: the API shows the code of the pause
/// before the call there (`LOGIN` on the first call after login).
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
    /// Only the database source knows these three; `nil` from the API.
    /// `vicidial_live_agents.live_agent_id`: a new value is a new login, whatever the conference room.
    public var liveAgentID: Int64?
    /// The real-time report's call letter, from `vicidial_live_agents.comments`: `A` auto, `I` inbound,
    /// `E` email, `M` manual or chat; `""` without a call.
    public var callTypeLetter: String?
    /// When the state began as VICIdial's real-time report counts it (`last_state_change` or
    /// `last_call_time`): not a tracked field, so a change of it alone is no event.
    public var reportedSince: Timestamp?
    /// The in-groups the agent takes calls from now (`vicidial_live_inbound_agents`, sorted), when the
    /// source reads them (a database source watching queues); `nil` otherwise.
    public var inGroups: [String]?

    public init(
        user: String, status: String, subStatus: String = "", pauseCode: String = "", leadID: Int64 = 0,
        callerID: String = "", campaignID: String = "", sessionID: String = "", callsToday: Int = 0,
        fullName: String = "", userGroup: String = "", userLevel: Int = 1,
        phoneNumber: String? = nil, vendorLeadCode: String? = nil, liveAgentID: Int64? = nil, callTypeLetter: String? = nil,
        reportedSince: Timestamp? = nil, inGroups: [String]? = nil
    ) {
        self.inGroups = inGroups
        self.liveAgentID = liveAgentID
        self.callTypeLetter = callTypeLetter
        self.reportedSince = reportedSince
        self.user = user
        self.status = status
        self.subStatus = subStatus
        self.pauseCode = status == AgentState.paused && subStatus != AgentState.dispo ? pauseCode : ""
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
    public static let dispo = "DISPO"

    /// A hint at the type of the current call, from the call id's prefix (`call_type_hint`): the report
    /// itself reads `comments` (`callTypeLetter`), which the API does not give.
    public var callType: CallType { CallType(callerID: callerID) }

    /// Whether `other` is a new login of this agent rather than the same session: a new `live_agent_id`
    /// when the source knows it. From the API: a new conference room (`session_id`) whose row looks like
    /// a fresh login (PAUSED, no lead, pause code LOGIN); any other room change is "Leave 3-Way Call",
    /// which moves an agent who stays logged in.
    public func isNewSession(_ other: AgentState) -> Bool {
        if let a = liveAgentID, let b = other.liveAgentID { return a != b }
        return sessionID != other.sessionID && other.looksLikeFreshLogin
    }

    /// How VICIdial shows an agent right after login.
    public var looksLikeFreshLogin: Bool { status == Self.paused && leadID == 0 && pauseCode == "LOGIN" }

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
        if callTypeLetter != other.callTypeLetter { out.append(.callType) }
        if sessionID != other.sessionID { out.append(.sessionID) }
        if callsToday != other.callsToday { out.append(.callsToday) }
        if liveAgentID != other.liveAgentID { out.append(.liveAgentID) }
        if inGroups != other.inGroups { out.append(.inGroups) }
        return out
    }
}

/// A tracked field of `AgentState`, named as in the event JSON.
public enum AgentField: String, Sendable, CaseIterable {
    case status, subStatus = "sub_status", pauseCode = "pause_code"
    case leadID = "lead_id", callerID = "callerid", phoneNumber = "phone_number", vendorLeadCode = "vendor_lead_code"
    case callType = "call_type"
    case campaignID = "campaign_id", userGroup = "user_group", fullName = "full_name", userLevel = "user_level"
    case sessionID = "session_id", callsToday = "calls_today", liveAgentID = "live_agent_id", inGroups = "in_groups"

    /// Which event type a change of this field implies, before priorities are applied.
    public var eventType: EventType {
        switch self {
        case .status, .subStatus, .pauseCode: .statusChanged
        case .leadID, .callerID, .phoneNumber, .vendorLeadCode, .callType: .callChanged
        default: .updated
        }
    }
}
