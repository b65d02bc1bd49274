import CurlHTTP
import Foundation
import Journal
import Sinks
import TestSupport
import Testing
import VicinotifyCore

/// What a hostile or careless receiver must not do to the daemon.
@Suite struct WebhookHardeningTests {
    @Test(arguments: [
        (nil as Double?, 1.0, 0.8),       // no Retry-After: the policy's wait
        (0, 1.0, 0.8),                    // Retry-After: 0 never shortens it
        (0, 0.0, 0.0),
        (0.1, 0.5, 0.4),
        (3, 1.0, 3),                      // a longer Retry-After lengthens it
        (1_000_000, 1.0, 5),              // capped at max_delay
        (.infinity, 1.0, 0.8),
    ] as [(Double?, Double, Double)])
    func retryAfterMayLengthenTheWaitNeverShortenIt(_ retryAfter: Double?, _ random: Double, _ expected: Double) {
        let policy = RetryPolicy(initial: 0.2, maxDelay: 5)
        #expect(abs(policy.delay(afterAttempt: 3, random: random, retryAfter: retryAfter) - expected) < 1e-9)
    }

    @Test func retryAfterZeroKeepsTheBackoff() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/busy", ["status": 429, "count": 0, "headers": ["Retry-After": "0"]])
        let endpoint = try WebhookSinkTests.endpoint(receiver, "/busy") { $0.retry = RetryPolicy(initial: 0.1, maxDelay: 5) }
        let pipeline = try await Pipeline([WebhookSink(endpoint: endpoint)], policy: endpoint.retry)
        defer { pipeline.stop() }
        try await pipeline.poll(agents: 3)
        var receipts = try await receiver.receipts("/busy")
        for _ in 0..<400 where receipts.count < 6 {
            try await Task.sleep(for: .milliseconds(50))
            receipts = try await receiver.receipts("/busy")
        }
        let times = receipts.map(\.arrived).sorted()
        #expect(times.count >= 6, "the first round (one event per agent), then probes")
        // After the first round, the endpoint is probed one event at a time, a second apart at least.
        let gaps = zip(times.dropFirst(3), times.dropFirst(2)).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 >= 0.95 }, "gaps \(gaps): more than one request a second to an endpoint answering Retry-After: 0")
    }

    @Test func aHugeAnswerIsCutAtTheCapAndNotRead() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/huge", ["stream_mb": 1024])
        try await receiver.behave("/endless", ["endless": true])
        let http = CurlTransport()
        for path in ["/huge", "/endless"] {
            let started = ContinuousClock.now
            let r = try await http.perform(HTTPRequest(method: .post, url: receiver.url(path), body: Array("{}".utf8), timeout: 20,
                                                       maxResponseBytes: 4096))
            #expect(r.status == 200)
            #expect(r.truncated)
            #expect(r.body.count == 4096)
            #expect(ContinuousClock.now - started < .seconds(5), "\(path): stopped at the cap, not at the end")
        }
    }

    @Test func aReceiverEchoingATokenLeavesNoPrefixOfIt() async throws {
        let token = "tok-ABCDEFGH12345678"
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        // The token straddles the 200-character cut of the snippet.
        try await receiver.behave("/echo", ["status": 400, "body": String(repeating: "x", count: 190) + "Bearer " + token])
        let endpoint = try WebhookSinkTests.endpoint(receiver, "/echo") { $0.headers = [("Authorization", "Bearer " + token)] }
        let pipeline = try await Pipeline([WebhookSink(endpoint: endpoint)])
        defer { pipeline.stop() }
        try await pipeline.poll(agents: 1)
        var dead: [DeadLetter] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while dead.isEmpty, ContinuousClock.now < deadline {
            dead = try await pipeline.journal.deadLetters(sink: "webhook:echo")
            try await Task.sleep(for: .milliseconds(20))
        }
        let reason = try #require(dead.first?.lastError)
        #expect(reason.hasPrefix("HTTP 400: xxx"))
        #expect(!reason.contains("tok-A"), "\(reason)")
    }
}
