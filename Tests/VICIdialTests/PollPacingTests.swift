import Testing
import VICIdial

/// The source loop's decisions, without a clock: waits after failures, and which failures are news.
@Suite struct PollPacingTests {
    static let login = PollFailure(.loginIncorrect, "x")
    static let timeout = PollFailure(.timeout, "x")
    static let locked = PollFailure(.lockedOut, "x")

    @Test(arguments: [
        // (outcomes: nil = success, expected waits after each failure, expected news)
        ([login, login, login, login], [300.0, 600, 1200, 2400], [true, false, false, false]),
        ([login, login, login, login, login, login], [300, 600, 1200, 2400, 3600, 3600], [true, false, false, false, false, false]),
        ([timeout, timeout, login], [1, 1, 300], [true, false, true]),
        ([locked], [900], [true]),
        ([login, locked, login], [300, 900, 1200], [true, true, true]),
    ] as [([PollFailure], [Double], [Bool])])
    func waitsAndNews(_ failures: [PollFailure], _ waits: [Double], _ news: [Bool]) {
        var p = PollPacing(interval: 1, authBackoff: 300, authBackoffMax: 3600)
        for (i, f) in failures.enumerated() {
            let (wait, isNews) = p.failed(f)
            #expect(wait == waits[i], "failure \(i)")
            #expect(isNews == news[i], "failure \(i)")
        }
    }

    @Test func aSuccessEndsTheOutageAndTheDoubling() {
        var p = PollPacing(interval: 2, authBackoff: 1, authBackoffMax: 3600)
        _ = p.failed(Self.login)
        #expect(p.failed(Self.login).wait == 2, "never shorter than the interval")
        #expect(p.failed(Self.login).wait == 4)
        #expect(p.succeeded() == .loginIncorrect, "the recovery is logged once, naming the outage")
        #expect(p.succeeded() == nil)
        #expect(p.failed(Self.login) == (2, true))
    }
}
