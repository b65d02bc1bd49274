import CCurl

/// The one funnel for libcurl's results: a failed call becomes an `HTTPTransportError` that names the
/// call and carries libcurl's code and text. Public for code that drives libcurl directly (the benchmarks).
public enum Curl {
    public static func check(_ code: CURLcode, _ call: StaticString) throws(HTTPTransportError) {
        guard code != CURLE_OK else { return }
        throw HTTPTransportError(kind: .other, message: "\(call): \(String(cString: curl_easy_strerror(code)))",
                                 code: Int(code.rawValue))
    }

    public static func check(_ code: CURLMcode, _ call: StaticString) throws(HTTPTransportError) {
        guard code != CURLM_OK else { return }
        throw HTTPTransportError(kind: .other, message: "\(call): \(String(cString: curl_multi_strerror(code)))",
                                 code: Int(code.rawValue))
    }
}
