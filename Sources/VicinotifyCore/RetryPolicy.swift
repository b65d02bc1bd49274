/// When to try an undelivered event again, and when to give up on it.
public struct RetryPolicy: Sendable, Equatable {
    /// Seconds before the first retry; doubles with each attempt.
    public var initial: Double
    /// Cap on the wait between two attempts.
    public var maxDelay: Double
    /// Give up on an event this many seconds after its first attempt.
    public var maxAge: Double
    /// Give up after this many attempts; 0 means "until `maxAge`".
    public var maxAttempts: Int

    public init(initial: Double = 1, maxDelay: Double = 300, maxAge: Double = 86_400, maxAttempts: Int = 0) {
        self.initial = initial
        self.maxDelay = maxDelay
        self.maxAge = maxAge
        self.maxAttempts = maxAttempts
    }

    /// The wait after failed attempt number `attempts` (1-based): "full jitter", a uniform draw from
    /// zero to the exponential bound, so that many failing events do not retry in lockstep.
    public func delay(afterAttempt attempts: Int, random: Double) -> Double {
        let bound = min(maxDelay, initial * Double(1 << min(max(attempts - 1, 0), 40)))
        return bound * min(max(random, 0), 1)
    }

    /// The wait after failed attempt number `attempts` when the sink asked for `retryAfter` seconds: a
    /// `Retry-After` may lengthen the policy's wait (up to `maxDelay`), never shorten it.
    public func delay(afterAttempt attempts: Int, random: Double, retryAfter: Double?) -> Double {
        let own = delay(afterAttempt: attempts, random: random)
        guard let retryAfter, retryAfter.isFinite else { return own }
        return max(own, min(retryAfter, maxDelay))
    }

    /// Whether an event that has failed `attempts` times, first tried `age` seconds ago, is given up.
    public func exhausted(attempts: Int, age: Double) -> Bool {
        (maxAttempts > 0 && attempts >= maxAttempts) || age >= maxAge
    }
}
