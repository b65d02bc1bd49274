import Testing
import VicinotifyCore

/// Waits and give-ups of a retry policy, as tables.
@Suite struct RetryPolicyTests {
    static let policy = RetryPolicy(initial: 1, maxDelay: 60, maxAge: 3600, maxAttempts: 0)

    /// (failed attempts so far, jitter draw, expected wait): full jitter below `initial` × 2^(n-1), capped.
    @Test(arguments: [(1, 1.0, 1.0), (2, 1.0, 2.0), (3, 0.5, 2.0), (7, 1.0, 60), (40, 1.0, 60), (1_000, 1.0, 60),
                      (0, 1.0, 1), (3, 0, 0), (3, 7, 4), (3, -1, 0)] as [(Int, Double, Double)])
    func fullJitterBelowTheExponentialBound(_ attempts: Int, _ random: Double, _ wait: Double) {
        #expect(Self.policy.delay(afterAttempt: attempts, random: random) == wait)
    }

    /// (max attempts, failed attempts, seconds since the first, given up?)
    @Test(arguments: [(0, 1_000_000, 3599.0, false), (0, 1, 3600, true), (3, 2, 10, false), (3, 3, 10, true),
                      (3, 1, 3600, true)] as [(Int, Int, Double, Bool)])
    func givenUpByAttemptsOrAge(_ maxAttempts: Int, _ attempts: Int, _ age: Double, _ exhausted: Bool) {
        var p = Self.policy
        p.maxAttempts = maxAttempts
        #expect(p.exhausted(attempts: attempts, age: age) == exhausted)
    }
}
