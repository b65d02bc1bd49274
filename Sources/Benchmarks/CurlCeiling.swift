import CCurl
import CurlHTTP
import Foundation

/// What libcurl alone achieves against a server: one multi handle keeps `connections` easy handles
/// POSTing the same prepared body and headers back to back, with no work of ours between requests.
///
/// `vicinotify-bench webhook` reports it beside the sink's rate and wrk's, separating what the transport
/// library costs from what the pipeline around it costs.
public enum CurlCeiling {
    /// Runs on a thread of its own for about `seconds`; returns how many requests succeeded (2xx) and how long
    /// they took.
    /// - Throws: `HTTPTransportError` when a request fails or answers other than 2xx.
    public static func measure(url: String, connections: Int, seconds: Double, body: [UInt8],
                               headers: [(name: String, value: String)]) async throws -> (requests: Int, elapsed: Duration) {
        CurlTransport.initializeLibcurl()
        let lines = ["Expect:"] + headers.map { $0.name + ": " + $0.value }
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: run(url: url, connections: max(1, connections), seconds: seconds, body: body,
                                              headerLines: lines))
            }
            thread.name = "curl-ceiling"
            thread.start()
        }
    }

    private static func run(url: String, connections: Int, seconds: Double, body: [UInt8],
                            headerLines: [String]) -> Result<(requests: Int, elapsed: Duration), HTTPTransportError> {
        let multi = curl_multi_init()
        var list: UnsafeMutablePointer<curl_slist>?
        for line in headerLines { list = curl_slist_append(list, line) }
        let bodyBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, body.count), alignment: 1)
        body.withUnsafeBytes { bodyBuffer.copyMemory(from: $0) }
        var handles: [UnsafeMutableRawPointer] = []
        defer {
            for easy in handles {
                curl_multi_remove_handle(multi, easy)
                curl_easy_cleanup(easy)
            }
            curl_multi_cleanup(multi)
            curl_slist_free_all(list)
            bodyBuffer.deallocate()
        }
        do {
            try Curl.call("curl_multi_setopt") { ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections) }
            for _ in 0..<connections {
                guard let easy = curl_easy_init() else { return .failure(HTTPTransportError(kind: .other, message: "curl_easy_init failed")) }
                handles.append(easy)
                try Curl.call("curl_easy_setopt(URL)") { ccurl_easy_setopt_string(easy, CURLOPT_URL, url) }
                try Curl.call("curl_easy_setopt(NOSIGNAL)") { ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1) }
                try Curl.call("curl_easy_setopt(POSTFIELDSIZE)") { ccurl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count) }
                try Curl.call("curl_easy_setopt(POSTFIELDS)") { ccurl_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, bodyBuffer.baseAddress) }
                try Curl.call("curl_easy_setopt(HTTPHEADER)") { ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list) }
                try Curl.call("curl_easy_setopt(WRITEFUNCTION)") { ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, discard) }
                try Curl.call("curl_multi_add_handle") { curl_multi_add_handle(multi, easy) }
            }
        } catch {
            return .failure(error)
        }
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        var completed = 0
        var active = connections
        var running: Int32 = 0
        while active > 0 {
            do { try Curl.call("curl_multi_perform") { curl_multi_perform(multi, &running) } } catch { return .failure(error) }
            var left: Int32 = 0
            let now = ContinuousClock.now
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = ccurl_msg_result(msg)
                var status = 0
                do {
                    try Curl.call("curl_easy_getinfo(RESPONSE_CODE)") { ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) }
                } catch {
                    return .failure(error)
                }
                guard code == CURLE_OK, (200..<300).contains(status) else {
                    let reason = code == CURLE_OK ? "HTTP \(status)" : String(cString: curl_easy_strerror(code))
                    return .failure(HTTPTransportError(kind: .other, message: "libcurl ceiling run: \(reason)"))
                }
                completed += 1
                do {
                    try Curl.call("curl_multi_remove_handle") { curl_multi_remove_handle(multi, easy) }
                    if now < end { try Curl.call("curl_multi_add_handle") { curl_multi_add_handle(multi, easy) } }
                } catch {
                    return .failure(error)
                }
                if now >= end {
                    active -= 1
                }
            }
            if active > 0 {
                do { try Curl.call("curl_multi_poll") { curl_multi_poll(multi, nil, 0, 1000, nil) } } catch { return .failure(error) }
            }
        }
        return .success((completed, ContinuousClock.now - start))
    }

    private static let discard: curl_write_callback = { _, size, nmemb, _ in size * nmemb }
}
