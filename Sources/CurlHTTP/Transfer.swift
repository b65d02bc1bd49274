import CCurl

/// One easy handle and the state of its current transfer, reused from request to request: options that
/// stay the same (callbacks, TLS verification, the endpoint's URL and timeouts) are set once, so a
/// request costs only its body and headers. Lives on the loop thread only.
final class Transfer {
    let easy: UnsafeMutableRawPointer
    private(set) var group: RequestGroup?
    private(set) var index = 0
    /// The response being received: its body, and the header block of its latest status line.
    var body: [UInt8] = []
    var headerBytes: [UInt8] = []
    /// Body bytes kept at most for the current request; beyond it the transfer is stopped.
    private(set) var maxBody = 0
    /// The current response went past `maxBody` (or its headers past `maxHeaderBytes`).
    var overflowed = false
    static let maxHeaderBytes = 64 << 10
    /// Buffers larger than this are released after a transfer instead of kept for the next one.
    private static let keptCapacity = 256 << 10
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var requestBody: UnsafeMutableRawBufferPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// What the handle is configured for beyond the fixed options; a request that differs resets it.
    private var configured: Configuration?

    private struct Configuration: Equatable {
        var method: HTTPRequest.Method
        var url: String
        var timeout: Double
        var connectTimeout: Double
        var caFile: String?
    }

    init() {
        easy = curl_easy_init()!
        requestBody = .allocate(byteCount: 1024, alignment: 1)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        requestBody.deallocate()
        errorBuffer.deallocate()
    }

    /// Sets `r` up on the handle for `group`; returns an error naming the option instead if libcurl refuses one.
    func start(_ r: HTTPRequest, group: RequestGroup, index: Int) -> HTTPTransportError? {
        self.group = group
        self.index = index
        maxBody = r.maxResponseBytes
        overflowed = false
        do {
            try configure(r)
            return nil
        } catch {
            configured = nil
            return error
        }
    }

    private func configure(_ r: HTTPRequest) throws(HTTPTransportError) {
        let wanted = Configuration(method: r.method, url: r.url, timeout: r.timeout, connectTimeout: r.connectTimeout,
                                   caFile: r.caFile)
        if wanted != configured {
            configured = nil
            curl_easy_reset(easy)
            try Curl.call("curl_easy_setopt(CURLOPT_NOSIGNAL)") { ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1) }
            try Curl.call("curl_easy_setopt(CURLOPT_FOLLOWLOCATION)") { ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0) }
            try Curl.call("curl_easy_setopt(CURLOPT_PROTOCOLS)") { ccurl_easy_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)) }
            try Curl.call("curl_easy_setopt(CURLOPT_HTTP_VERSION)") { ccurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)) }
            try Curl.call("curl_easy_setopt(CURLOPT_SSL_VERIFYPEER)") { ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1) }
            try Curl.call("curl_easy_setopt(CURLOPT_SSL_VERIFYHOST)") { ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2) }
            try Curl.call("curl_easy_setopt(CURLOPT_TCP_KEEPALIVE)") { ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1) }
            try Curl.call("curl_easy_setopt(CURLOPT_ERRORBUFFER)") { ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer) }
            let me = Unmanaged.passUnretained(self).toOpaque()
            try Curl.call("curl_easy_setopt(CURLOPT_PRIVATE)") { ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me) }
            try Curl.call("curl_easy_setopt(CURLOPT_WRITEFUNCTION)") { ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, CurlCallbacks.body) }
            try Curl.call("curl_easy_setopt(CURLOPT_WRITEDATA)") { ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me) }
            try Curl.call("curl_easy_setopt(CURLOPT_HEADERFUNCTION)") { ccurl_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, CurlCallbacks.header) }
            try Curl.call("curl_easy_setopt(CURLOPT_HEADERDATA)") { ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me) }
            try Curl.call("curl_easy_setopt(CURLOPT_URL)") { ccurl_easy_setopt_string(easy, CURLOPT_URL, r.url) }
            try Curl.call("curl_easy_setopt(CURLOPT_TIMEOUT_MS)") { ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(r.timeout * 1000)) }
            try Curl.call("curl_easy_setopt(CURLOPT_CONNECTTIMEOUT_MS)") { ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(r.connectTimeout * 1000)) }
            if let ca = r.caFile { try Curl.call("curl_easy_setopt(CURLOPT_CAINFO)") { ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, ca) } }
            switch r.method {
            case .get: try Curl.call("curl_easy_setopt(CURLOPT_HTTPGET)") { ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1) }
            case .post: break
            case .delete: try Curl.call("curl_easy_setopt(CURLOPT_CUSTOMREQUEST)") { ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "DELETE") }
            }
            configured = wanted
        }
        if r.method != .get {
            // libcurl reads the body from this buffer during the transfer: no copy of its own.
            if r.body.count > requestBody.count {
                requestBody.deallocate()
                requestBody = .allocate(byteCount: r.body.count, alignment: 1)
            }
            r.body.withUnsafeBytes { requestBody.copyMemory(from: $0) }
            try Curl.call("curl_easy_setopt(CURLOPT_POSTFIELDSIZE)") { ccurl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, r.body.count) }
            try Curl.call("curl_easy_setopt(CURLOPT_POSTFIELDS)") { ccurl_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, requestBody.baseAddress) }
        }
        curl_slist_free_all(headerList)
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for h in r.headers { list = curl_slist_append(list, h.name + ": " + h.value) }
        headerList = list
        try Curl.call("curl_easy_setopt(CURLOPT_HTTPHEADER)") { ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list) }
        errorBuffer[0] = 0
    }

    /// Forgets the finished transfer, keeping the handle and its buffers' capacity.
    func finish() {
        group = nil
        body.removeAll(keepingCapacity: body.capacity <= Self.keptCapacity)
        headerBytes.removeAll(keepingCapacity: headerBytes.capacity <= Self.keptCapacity)
    }

    func result(_ code: CURLcode) -> Result<HTTPResponse, HTTPTransportError> {
        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && overflowed) else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            let kind: HTTPTransportError.Kind = switch code {
            case CURLE_OPERATION_TIMEDOUT: .timeout
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .connect
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
                 CURLE_SSL_CACERT_BADFILE: .tls
            default: .other
            }
            return .failure(HTTPTransportError(kind: kind, message: message))
        }
        var status = 0
        var connects = 0
        var total = 0.0
        do {
            try Curl.call("curl_easy_getinfo(RESPONSE_CODE)") { ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) }
            try Curl.call("curl_easy_getinfo(NUM_CONNECTS)") { ccurl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects) }
            try Curl.call("curl_easy_getinfo(TOTAL_TIME)") { ccurl_easy_getinfo_double(easy, CURLINFO_TOTAL_TIME, &total) }
        } catch {
            return .failure(error)
        }
        return .success(HTTPResponse(status: status, rawHeaders: headerBytes, body: body, reusedConnection: connects == 0,
                                     totalSeconds: total, truncated: overflowed))
    }
}
