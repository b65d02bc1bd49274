import Foundation

/// An API user as VICIdial's `user_authorization` checks it (functions.php): its password, level and
/// permissions, the failed-login counter that locks it, and the user group's view restrictions.
struct SimAccount {
    var user: String
    var password: String
    var userLevel = 9
    var viewReports = true
    /// `nil`: every function allowed.
    var allowedFunctions: [String]?
    /// The user group's `allowed_campaigns`; `nil` is `-ALL-CAMPAIGNS-`.
    var allowedCampaigns: [String]?
    /// The user group's `admin_viewable_groups`; `nil` is `---ALL---`.
    var viewableGroups: [String]?
    /// Two-factor authentication is on for this user (no API override).
    var twoFactor = false
    /// The user's IP list refuses this machine (checked only after a correct password).
    var ipBlocked = false
    var failedLoginCount = 0
    /// `nil`: long ago.
    var lastLoginDate: Date?

    static let lockMax = 10
    static let lockSeconds = 15.0 * 60

    init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    func isLocked(at now: Date) -> Bool {
        guard failedLoginCount >= Self.lockMax, let last = lastLoginDate else { return false }
        return now.timeIntervalSince(last) < Self.lockSeconds
    }

    enum Outcome: Equatable { case ok, bad, locked, twoFactor }

    /// One login attempt with `password` (already stripped as VICIdial strips it), updating the counter.
    mutating func login(password given: String, at now: Date) -> Outcome {
        if isLocked(at: now) { return .locked }
        guard given == Self.stripped(password), userLevel >= 7 else {
            // At the threshold with the last login long ago, the count starts again.
            failedLoginCount = failedLoginCount >= Self.lockMax ? 1 : failedLoginCount + 1
            return .bad
        }
        if twoFactor { return .twoFactor }
        failedLoginCount = 0
        lastLoginDate = now
        return .ok
    }

    /// What VICIdial keeps of `user`, `pass` and `agent_user`: `[-_0-9a-zA-Z]`.
    static func stripped(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
    }

    /// What VICIdial keeps of `source`: `[0-9a-zA-Z]`.
    static func strippedSource(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && CharacterSet.alphanumerics.contains($0) })
    }

    func json(at now: Date) -> [String: Any] {
        ["failed_login_count": failedLoginCount, "locked": isLocked(at: now),
         "last_login": lastLoginDate.map { $0.timeIntervalSince1970 } ?? NSNull()]
    }
}
