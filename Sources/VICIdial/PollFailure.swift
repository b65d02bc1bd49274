/// Why a poll told us nothing about the agents. A failed poll never turns into logout events.
public struct PollFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// A failure class, stable enough for metrics labels and `vicidial.source.down` events.
    public enum Reason: String, Sendable, CaseIterable {
        case loginIncorrect = "login_incorrect"
        case lockedOut = "locked_out"
        case ipBlocked = "ip_blocked"
        case permissionDenied = "permission_denied"
        case agentNotFound = "agent_not_found"
        case apiError = "api_error"
        case httpStatus = "http_status"
        case timeout
        case transport
        case unparseable
    }

    public var reason: Reason
    /// What happened, secret-free: VICIdial's own text with the echoed password removed, or ours.
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// Repeating these cannot succeed and may lock the API user out: back off for minutes.
    public var isCredentialProblem: Bool {
        switch reason {
        case .loginIncorrect, .lockedOut, .ipBlocked, .permissionDenied: true
        default: false
        }
    }

    /// A line an operator can act on.
    public var advice: String {
        switch reason {
        case .loginIncorrect:
            "VICIdial refused the API user's login (wrong password, or user level below 7). Fix the credentials; "
                + "retrying slowly so the account is not locked out."
        case .lockedOut:
            "VICIdial locked the API user after too many failed logins; it unlocks after 15 minutes."
        case .ipBlocked: "VICIdial does not allow API calls from this machine's IP address."
        case .permissionDenied:
            "The API user lacks the permission for this function (needs user level 7+, view_reports and API access)."
        case .agentNotFound: "A watched agent does not exist on this VICIdial server: check the source's agents list."
        default: message
        }
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
