import VicinotifyCore

/// What a sink's queue says about its failures, as a value: a failure when its reason is new, then while
/// it lasts one summary a minute with what failed since, and its end once. An endpoint that rejects every
/// request for an hour is 62 lines, not one per retry. Pure: the time is an input.
public struct FailureLog: Sendable, Equatable {
    public enum Line: Sendable, Equatable {
        /// A new reason: `events` failed in this round.
        case failed(reason: String, events: Int)
        /// The same reason for another minute: `events` failed since the last line, `seconds` since it began.
        case stillFailing(reason: String, events: Int, seconds: Double)
        /// A round delivered after failures: the outage lasted `seconds`.
        case resumed(after: String, seconds: Double)
    }

    public static let summaryEvery = 60.0
    private var reason: String?
    private var since: Timestamp?
    private var lastSaid: Timestamp?
    private var failedSinceSaid = 0

    public init() {}

    /// One delivery round's `failures` (with the last `reason`) and `delivered`, at `now`; the line to log, if any.
    public mutating func round(failures: Int, delivered: Int, reason newReason: String, at now: Timestamp) -> Line? {
        if failures > 0 {
            if newReason != reason {
                reason = newReason
                since = since ?? now
                lastSaid = now
                failedSinceSaid = 0
                return .failed(reason: newReason, events: failures)
            }
            failedSinceSaid += failures
            guard let said = lastSaid, now.seconds(since: said) >= Self.summaryEvery else { return nil }
            defer { lastSaid = now; failedSinceSaid = 0 }
            return .stillFailing(reason: newReason, events: failedSinceSaid, seconds: now.seconds(since: since ?? now))
        }
        guard delivered > 0, let was = reason else { return nil }
        defer { reason = nil; since = nil; lastSaid = nil; failedSinceSaid = 0 }
        return .resumed(after: was, seconds: now.seconds(since: since ?? now))
    }
}
