import CCurl
import Synchronization

/// The one funnel for libcurl's results, as swift-nio's syscall wrapper: it takes the call itself, so no
/// result can bypass it, and a failure becomes an `HTTPTransportError` that names the call (an option by
/// its name) with libcurl's code and text. Public for code that drives libcurl directly (the benchmarks).
public enum Curl {
    /// Makes one easy-interface call named `name` (`"curl_easy_setopt(CURLOPT_URL)"`).
    public static func call(_ name: @autoclosure () -> String, _ body: () -> CURLcode) throws(HTTPTransportError) {
        let code = body()
        guard code != CURLE_OK else { return }
        throw HTTPTransportError(kind: .other, message: "\(name()): \(String(cString: curl_easy_strerror(code)))",
                                 code: Int(code.rawValue))
    }

    /// Makes one multi-interface call named `name`.
    public static func call(_ name: @autoclosure () -> String, _ body: () -> CURLMcode) throws(HTTPTransportError) {
        let code = body()
        guard code != CURLM_OK else { return }
        throw HTTPTransportError(kind: .other, message: "\(name()): \(String(cString: curl_multi_strerror(code)))",
                                 code: Int(code.rawValue))
    }

    /// Makes a call whose failure only delays work the loop does within a second anyway (a wake-up, a
    /// clean-up at shutdown): it is counted, not thrown.
    public static func bestEffort(_ name: StaticString, _ body: () -> CURLMcode) {
        if body() != CURLM_OK { Self.failedBestEffort.add(1, ordering: .relaxed) }
    }

    /// Best-effort calls that failed since start.
    public static let failedBestEffort = Atomic<Int>(0)
}
