import CCurl
import Foundation
import Synchronization

/// Asynchronous HTTP/1.1 (and HTTP/2 over TLS when offered) over one libcurl multi handle.
///
/// One dedicated thread owns the multi handle and every easy handle; callers only enqueue requests and
/// await responses, so no blocking call ever runs on Swift's cooperative pool. Connections are kept alive
/// and shared by all requests of a transport.
public final class CurlTransport: Sendable {
    private let loop: CurlLoop

    /// - Parameter maxConnectionsPerHost: transfers beyond this many per host wait for a free connection.
    public init(maxConnectionsPerHost: Int = 8) {
        CurlLoop.globalInit
        loop = CurlLoop(maxConnectionsPerHost: maxConnectionsPerHost)
        let loop = self.loop
        let thread = Thread { loop.run() }
        thread.name = "curl-multi"
        thread.start()
    }

    deinit { loop.shutdown() }

    /// Performs `request`. Throws `HTTPTransportError`; an HTTP error status is a response, not an error.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = loop.nextID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                loop.enqueue(CurlLoop.Pending(id: id, request: request, continuation: continuation))
            }
        } onCancel: {
            loop.cancel(id)
        }
    }
}

/// State shared between callers and the loop thread, and the loop itself.
final class CurlLoop: Sendable {
    struct Pending: Sendable {
        var id: UInt64
        var request: HTTPRequest
        var continuation: CheckedContinuation<HTTPResponse, any Error>
    }

    private struct Inbox {
        var pending: [Pending] = []
        var cancelled: [UInt64] = []
        var nextID: UInt64 = 0
        var shuttingDown = false
    }

    static let globalInit: Void = { _ = ccurl_global_init() }()

    private let inbox = Mutex(Inbox())
    /// `CURLM*`. Created here, then used only by the loop thread, except `curl_multi_wakeup` (thread-safe).
    nonisolated(unsafe) private let multi: UnsafeMutableRawPointer

    init(maxConnectionsPerHost: Int) {
        multi = curl_multi_init()
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
    }

    func nextID() -> UInt64 { inbox.withLock { $0.nextID += 1; return $0.nextID } }

    func enqueue(_ p: Pending) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.shuttingDown else { return false }
            inbox.pending.append(p)
            return true
        }
        if accepted {
            curl_multi_wakeup(multi)
        } else {
            p.continuation.resume(throwing: HTTPTransportError(kind: .cancelled, message: "transport shut down"))
        }
    }

    func cancel(_ id: UInt64) {
        inbox.withLock { $0.cancelled.append(id) }
        curl_multi_wakeup(multi)
    }

    func shutdown() {
        inbox.withLock { $0.shuttingDown = true }
        curl_multi_wakeup(multi)
    }

    /// The loop thread's body. Returns after `shutdown()`, having failed every unfinished request.
    func run() {
        var active: [UInt64: Transfer] = [:]
        var idle: [UnsafeMutableRawPointer] = []
        while true {
            let (pending, cancelled, stopping) = inbox.withLock { inbox in
                defer { inbox.pending = []; inbox.cancelled = [] }
                return (inbox.pending, inbox.cancelled, inbox.shuttingDown)
            }
            for p in pending {
                let easy = idle.popLast() ?? curl_easy_init()!
                let transfer = Transfer(id: p.id, easy: easy, continuation: p.continuation)
                if let error = transfer.configure(p.request) {
                    transfer.finish(.failure(error))
                    curl_easy_cleanup(easy)
                    continue
                }
                active[p.id] = transfer
                curl_multi_add_handle(multi, easy)
            }
            for id in cancelled {
                guard let t = active.removeValue(forKey: id) else { continue }
                curl_multi_remove_handle(multi, t.easy)
                curl_easy_cleanup(t.easy)
                t.finish(.failure(HTTPTransportError(kind: .cancelled, message: "request cancelled")))
            }
            if stopping {
                for t in active.values {
                    curl_multi_remove_handle(multi, t.easy)
                    curl_easy_cleanup(t.easy)
                    t.finish(.failure(HTTPTransportError(kind: .cancelled, message: "transport shut down")))
                }
                idle.forEach { curl_easy_cleanup($0) }
                curl_multi_cleanup(multi)
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = ccurl_msg_result(msg)
                var priv: UnsafeMutableRawPointer?
                _ = ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &priv)
                let id = UInt64(UInt(bitPattern: priv))
                curl_multi_remove_handle(multi, easy)
                guard let t = active.removeValue(forKey: id) else { curl_easy_cleanup(easy); continue }
                t.finish(t.result(code))
                curl_easy_reset(easy)
                if idle.count < 64 { idle.append(easy) } else { curl_easy_cleanup(easy) }
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}

/// One transfer in flight; lives on the loop thread only.
final class Transfer {
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    private var continuation: CheckedContinuation<HTTPResponse, any Error>?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var headerLines: [String] = []
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    init(id: UInt64, easy: UnsafeMutableRawPointer, continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.id = id
        self.easy = easy
        self.continuation = continuation
    }

    deinit { curl_slist_free_all(headerList) }

    /// Sets every option; returns an error instead of starting if libcurl refuses one.
    func configure(_ r: HTTPRequest) -> HTTPTransportError? {
        var code = CURLE_OK
        func set(_ c: CURLcode) { if code == CURLE_OK { code = c } }
        set(ccurl_easy_setopt_string(easy, CURLOPT_URL, r.url))
        set(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set(ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        set(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(r.timeout * 1000)))
        set(ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(r.connectTimeout * 1000)))
        set(ccurl_easy_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)))
        set(ccurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
        set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
        set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
        set(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        if let ca = r.caFile { set(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, ca)) }
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, UnsafeMutableRawPointer(bitPattern: UInt(id))))
        errorBuffer.withUnsafeMutableBufferPointer { buf in
            set(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, buf.baseAddress))
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        set(ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, CurlCallbacks.body))
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me))
        set(ccurl_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, CurlCallbacks.header))
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me))
        switch r.method {
        case .get: set(ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case .post, .delete:
            if r.method == .delete { set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "DELETE")) }
            set(ccurl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, r.body.count))
            if r.body.isEmpty {
                set(ccurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                r.body.withUnsafeBytes { buf in
                    set(ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buf.baseAddress)))
                }
            }
        }
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for h in r.headers { list = curl_slist_append(list, "\(h.name): \(h.value)") }
        headerList = list
        set(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list))
        guard code == CURLE_OK else {
            return HTTPTransportError(kind: .other, message: "libcurl refused an option: " + String(cString: curl_easy_strerror(code)))
        }
        return nil
    }

    func result(_ code: CURLcode) -> Result<HTTPResponse, any Error> {
        guard code == CURLE_OK else {
            let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
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
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var connects = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        return .success(HTTPResponse(status: status, headers: parsedHeaders(), body: body, reusedConnection: connects == 0))
    }

    /// Headers of the last response block (after any `100 Continue`).
    private func parsedHeaders() -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for line in headerLines {
            if line.hasPrefix("HTTP/") { out = []; continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            out.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return out
    }

    func finish(_ result: Result<HTTPResponse, any Error>) {
        continuation?.resume(with: result)
        continuation = nil
    }
}

/// C callbacks, kept out of any actor-isolated context (see docs: top-level closures trap off the main thread).
enum CurlCallbacks {
    static let body: curl_write_callback = { ptr, size, nmemb, userdata in
        let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * nmemb
        if let ptr { t.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: n)) }
        return n
    }
    static let header: curl_write_callback = { ptr, size, nmemb, userdata in
        let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * nmemb
        if let ptr {
            let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: n), as: UTF8.self)
                .trimmingCharacters(in: .newlines)
            if !line.isEmpty { t.headerLines.append(line) }
        }
        return n
    }
}
