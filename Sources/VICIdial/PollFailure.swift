/// Why a poll told us nothing about the agents. A failed poll never turns into logout events.
public struct PollFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// A failure class, stable enough for metrics labels and `vicidial.source.down` events.
    public enum Reason: String, Sendable, CaseIterable {
        case loginIncorrect = "login_incorrect"
        /// The right password, refused because two-factor authentication is on for the API user.
        case twoFactor = "two_factor_required"
        case lockedOut = "locked_out"
        case ipBlocked = "ip_blocked"
        case permissionDenied = "permission_denied"
        case agentNotFound = "agent_not_found"
        case apiError = "api_error"
        case httpStatus = "http_status"
        case timeout
        case transport
        case unparseable
        /// The answer was larger than `max_response_bytes`; the rest was not read.
        case tooLarge = "too_large"
        /// The answer looked complete but was not believable (a header with no row, a floor cut short).
        case suspicious
        /// The database refused the read-only user (wrong user or password, no access to the database).
        case accessDenied = "access_denied"
        /// A table or column the database source reads is missing, or not granted to its user.
        case schema = "schema_mismatch"
        /// The replica is further behind its master than `max_lag`.
        case replicaLag = "replica_lag"
        /// Any other database error.
        case databaseError = "database_error"
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
        case .loginIncorrect, .twoFactor, .lockedOut, .ipBlocked, .permissionDenied, .accessDenied: true
        default: false
        }
    }

    /// A line an operator can act on.
    public var advice: String {
        switch reason {
        case .loginIncorrect:
            "VICIdial refused the API user's login (wrong password, or user level below 7). Fix the credentials; "
                + "retrying slowly so the account is not locked out."
        case .twoFactor:
            "VICIdial asks the API user for two-factor authentication, which the API cannot give: exempt this "
                + "API user from two-factor auth (its user group's 2FA override). The password itself was accepted."
        case .lockedOut:
            "VICIdial locked the API user after too many failed logins; it unlocks after 15 minutes."
        case .ipBlocked: "VICIdial does not allow API calls from this machine's IP address."
        case .permissionDenied:
            "The API user lacks the permission for this function (needs user level 7+, view_reports and API access)."
        case .agentNotFound:
            "VICIdial answers AGENT NOT FOUND: the user does not exist, or the API user may not see its user group "
                + "(admin_viewable_groups). Check the source's agents list and the API user's viewable groups."
        case .accessDenied:
            "The database refused vicinotify's user: \(message). Check database.user and its password, and that the user "
                + "may connect from this host (README: \"The database source\")."
        case .schema:
            "\(message). An older VICIdial schema, or a column not granted to the read-only user: see the GRANT "
                + "statements in README's \"The database source\"."
        case .replicaLag:
            "\(message): its answers are too old to act on, so nobody is logged out meanwhile. Check the replica's "
                + "replication (SHOW REPLICA STATUS)."
        default: message
        }
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
