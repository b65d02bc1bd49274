import CCurl

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

    /// Makes a call (named at the call site) whose failure only delays work the loop does within a second
    /// anyway (a wake-up) or frees what is going away (a clean-up): its result is let go, on purpose.
    public static func bestEffort(_ name: StaticString, _ body: () -> CURLMcode) {
        _ = body()
    }
}
