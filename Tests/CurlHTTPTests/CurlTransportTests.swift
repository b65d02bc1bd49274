import CurlHTTP
import Foundation
import TestSupport
import Testing

@Suite struct CurlTransportTests {
    @Test func aClosedPortIsAConnectError() async throws {
        let sim = try await RunningSimulator.start(agents: 1)
        let url = sim.apiURL
        await sim.stop()
        await #expect(throws: HTTPTransportError.self) {
            try await CurlTransport().perform(HTTPRequest(url: url, timeout: 3, connectTimeout: 1))
        }
        do {
            _ = try await CurlTransport().perform(HTTPRequest(url: url, timeout: 3, connectTimeout: 1))
        } catch let e as HTTPTransportError {
            #expect(e.kind == .connect)
            #expect(!e.message.isEmpty)
        }
    }

    @Test func anAnswerOverTheCapIsCutAndMarked() async throws {
        let sim = try await RunningSimulator.start(agents: 1)
        defer { Task { await sim.stop() } }
        let whole = try await sim.http.perform(HTTPRequest(url: sim.apiURL + "?function=version"))
        #expect(!whole.truncated && whole.body.count > 50)
        let cut = try await sim.http.perform(HTTPRequest(url: sim.apiURL + "?function=version", maxResponseBytes: 10))
        #expect(cut.status == 200 && cut.truncated)
        #expect(cut.body == Array(whole.body.prefix(10)))
        let again = try await sim.http.perform(HTTPRequest(url: sim.apiURL + "?function=version"))
        #expect(again.body.count == whole.body.count, "the next transfer on that handle is whole again")
    }

    /// libcurl refuses a string option longer than 8 MB: the error names the option, not just "refused".
    @Test func aRefusedOptionIsNamed() async throws {
        let url = "http://127.0.0.1:9/" + String(repeating: "a", count: 9_000_000)
        do {
            _ = try await CurlTransport().perform(HTTPRequest(url: url, timeout: 5))
            Issue.record("an over-long URL was accepted")
        } catch {
            #expect("\(error)".contains("curl_easy_setopt(CURLOPT_URL)"), "\(error)")
        }
    }
}
