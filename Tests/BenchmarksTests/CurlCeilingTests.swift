import Benchmarks
import CurlHTTP
import Simulator
import Testing

/// `CurlCeiling`, the libcurl-alone comparison of `bench webhook`, against the benchmark's own receiver.
@Suite struct CurlCeilingTests {
    @Test func countsExactlyTheRequestsTheReceiverAnswered() async throws {
        let receiver = try await LoopbackReceiver.start()
        let result = try await CurlCeiling.measure(url: receiver.url, connections: 4, seconds: 0.3, body: Array("{}".utf8),
                                                   headers: [("Content-Type", "application/json")])
        let answered = receiver.requests
        await receiver.stop()
        #expect(result.requests > 0)
        #expect(result.requests == answered)
        #expect(result.elapsed >= .milliseconds(300))
    }

    @Test func failsWhenNothingListens() async throws {
        let receiver = try await LoopbackReceiver.start()
        await receiver.stop()
        await #expect(throws: HTTPTransportError.self) {
            _ = try await CurlCeiling.measure(url: receiver.url, connections: 2, seconds: 5, body: [], headers: [])
        }
    }
}
