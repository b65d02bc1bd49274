import Delivery
import Testing
import VicinotifyCore

/// What a failing sink says, by table: a new reason at once, a summary a minute while it lasts, its end once.
@Suite struct FailureLogTests {
    static func t(_ s: Double) -> Timestamp { Timestamp(millisecondsSince1970: 1_800_000_000_000 + Int64(s * 1000)) }

    @Test func anHourOfRejectionsIsALineAMinuteNotOneARetry() {
        var log = FailureLog()
        var lines: [FailureLog.Line] = []
        for second in stride(from: 0.0, to: 3600, by: 1) {
            if let l = log.round(failures: 2, delivered: 0, reason: "HTTP 500", at: Self.t(second)) { lines.append(l) }
        }
        if let l = log.round(failures: 0, delivered: 5, reason: "", at: Self.t(3600)) { lines.append(l) }
        #expect(lines.first == .failed(reason: "HTTP 500", events: 2))
        #expect(lines.count == 1 + 59 + 1, "the failure, a summary a minute, the end")
        #expect(lines[1] == .stillFailing(reason: "HTTP 500", events: 120, seconds: 60), "what failed in that minute")
        #expect(lines.last == .resumed(after: "HTTP 500", seconds: 3600))
    }

    @Test(arguments: [
        ([(2, 0, "HTTP 500", 0.0), (1, 0, "HTTP 503", 5)], [FailureLog.Line.failed(reason: "HTTP 500", events: 2), .failed(reason: "HTTP 503", events: 1)]),
        ([(0, 3, "", 0.0)], []),                                                        // all well: nothing to say
        ([(1, 0, "timeout", 0.0), (0, 0, "", 1), (0, 1, "", 2)], [.failed(reason: "timeout", events: 1), .resumed(after: "timeout", seconds: 2)]),
        ([(1, 2, "HTTP 429", 0.0), (0, 2, "", 1)], [.failed(reason: "HTTP 429", events: 1), .resumed(after: "HTTP 429", seconds: 1)]),
    ] as [([(Int, Int, String, Double)], [FailureLog.Line])])
    func roundsSayWhatIsNew(_ rounds: [(Int, Int, String, Double)], _ expected: [FailureLog.Line]) {
        var log = FailureLog()
        let said = rounds.compactMap { log.round(failures: $0.0, delivered: $0.1, reason: $0.2, at: Self.t($0.3)) }
        #expect(said == expected)
    }
}
