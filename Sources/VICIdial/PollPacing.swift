/// When a source polls next, and which failures are news: the decisions of a source's loop as a value,
/// with no clock of its own, so they are tested by tables.
///
/// A login error (wrong password, two-factor, lockout, IP block, missing permission) waits `authBackoff`,
/// doubling on each repeated login error up to `authBackoffMax`; a lockout waits at least 15 minutes.
/// A poll sends at most one request that can fail to log in, so there is at most one failed login per wait.
public struct PollPacing: Sendable, Equatable {
    public let interval: Double
    public let authBackoff: Double
    public let authBackoffMax: Double
    /// Login errors in a row.
    public private(set) var credentialFailures = 0
    /// The reason of the last failed poll, until a poll succeeds.
    public private(set) var lastReason: PollFailure.Reason?

    public static let lockoutWait = 15.0 * 60

    public init(interval: Double, authBackoff: Double, authBackoffMax: Double) {
        self.interval = interval
        self.authBackoff = authBackoff
        self.authBackoffMax = max(authBackoffMax, authBackoff)
    }

    public init(_ source: VICIdialSource) {
        self.init(interval: source.interval, authBackoff: source.authBackoff, authBackoffMax: source.authBackoffMax)
    }

    /// A successful poll. Returns the reason of the outage it ends, if any, to log the recovery once.
    public mutating func succeeded() -> PollFailure.Reason? {
        defer { lastReason = nil; credentialFailures = 0 }
        return lastReason
    }

    /// A failed poll: the seconds from its start to the next poll's, and whether the failure is news
    /// (its reason differs from the previous poll's) and should be logged as an error.
    public mutating func failed(_ failure: PollFailure) -> (wait: Double, isNews: Bool) {
        var wait = interval
        if failure.isCredentialProblem {
            credentialFailures += 1
            let doubling = Double(1 << min(credentialFailures - 1, 16))
            wait = max(interval, min(authBackoff * doubling, authBackoffMax))
            if failure.reason == .lockedOut { wait = max(wait, Self.lockoutWait) }
        }
        let isNews = failure.reason != lastReason
        lastReason = failure.reason
        return (wait, isNews)
    }
}
