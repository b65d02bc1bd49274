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
        try await perform([request], maxInFlight: 1)[0].get()
    }

    /// Performs every request, at most `maxInFlight` at a time, and returns their results in order.
    ///
    /// The loop thread starts the next request as soon as one finishes, so a whole batch costs one
    /// hand-over in each direction between the caller and the loop, however many requests it holds.
    /// - Parameter stopAfter: once a response satisfies it, requests not yet started are not sent; they
    ///   fail with kind `.cancelled`.
    public func perform(_ requests: [HTTPRequest], maxInFlight: Int,
                        stopAfter: (@Sendable (HTTPResponse) -> Bool)? = nil) async -> [Result<HTTPResponse, HTTPTransportError>] {
        guard !requests.isEmpty else { return [] }
        let id = loop.nextID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                loop.enqueue(RequestGroup(id: id, requests: requests, maxInFlight: max(1, maxInFlight), stopAfter: stopAfter,
                                          continuation: continuation))
            }
        } onCancel: {
            loop.cancel(id)
        }
    }
}

/// Requests handed over together, and their results as they come in. Used by the loop thread only,
/// once enqueued.
final class RequestGroup: @unchecked Sendable {
    let id: UInt64
    let requests: [HTTPRequest]
    let maxInFlight: Int
    let stopAfter: (@Sendable (HTTPResponse) -> Bool)?
    private var continuation: CheckedContinuation<[Result<HTTPResponse, HTTPTransportError>], Never>?
    var results: [Result<HTTPResponse, HTTPTransportError>?]
    var next = 0
    var inFlight = 0
    var unfinished: Int

    init(id: UInt64, requests: [HTTPRequest], maxInFlight: Int, stopAfter: (@Sendable (HTTPResponse) -> Bool)?,
         continuation: CheckedContinuation<[Result<HTTPResponse, HTTPTransportError>], Never>) {
        self.id = id
        self.requests = requests
        self.maxInFlight = maxInFlight
        self.stopAfter = stopAfter
        self.continuation = continuation
        self.results = Array(repeating: nil, count: requests.count)
        self.unfinished = requests.count
    }

    /// Records one result; resumes the caller once every request has one.
    func complete(_ index: Int, _ result: Result<HTTPResponse, HTTPTransportError>) {
        guard results[index] == nil else { return }
        results[index] = result
        unfinished -= 1
        guard unfinished == 0 else { return }
        continuation?.resume(returning: results.map { $0! })
        continuation = nil
    }

    /// Records a finished transfer's result; after a `stopAfter` response, nothing more starts.
    func finished(_ index: Int, _ result: Result<HTTPResponse, HTTPTransportError>) {
        inFlight -= 1
        if case .success(let response) = result, let stopAfter, stopAfter(response) {
            while next < requests.count {
                complete(next, .failure(HTTPTransportError(kind: .cancelled, message: "not sent after an earlier answer")))
                next += 1
            }
        }
        complete(index, result)
    }

    /// Fails every request without a result.
    func fail(_ error: HTTPTransportError) {
        for i in results.indices where results[i] == nil { complete(i, .failure(error)) }
        next = requests.count
    }
}

/// State shared between callers and the loop thread, and the loop itself.
final class CurlLoop: Sendable {
    private struct Inbox {
        var pending: [RequestGroup] = []
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

    func enqueue(_ group: RequestGroup) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.shuttingDown else { return false }
            inbox.pending.append(group)
            return true
        }
        if accepted {
            curl_multi_wakeup(multi)
        } else {
            group.fail(HTTPTransportError(kind: .cancelled, message: "transport shut down"))
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
        var groups: [UInt64: RequestGroup] = [:]
        var active: [ObjectIdentifier: Transfer] = [:]
        var idle: [Transfer] = []

        /// Starts requests of `group` while it has room.
        func feed(_ group: RequestGroup) {
            while group.inFlight < group.maxInFlight, group.next < group.requests.count {
                let index = group.next
                group.next += 1
                let transfer = idle.popLast() ?? Transfer()
                if let error = transfer.start(group.requests[index], group: group, index: index) {
                    group.complete(index, .failure(error))
                    transfer.finish()
                    idle.append(transfer)
                    continue
                }
                group.inFlight += 1
                active[ObjectIdentifier(transfer)] = transfer
                curl_multi_add_handle(multi, transfer.easy)
            }
            if group.unfinished == 0 { groups[group.id] = nil }
        }

        /// Takes `transfer` out of the multi handle and keeps it for the next request.
        func park(_ transfer: Transfer) {
            curl_multi_remove_handle(multi, transfer.easy)
            active[ObjectIdentifier(transfer)] = nil
            transfer.finish()
            if idle.count < 64 { idle.append(transfer) }
        }

        while true {
            let (pending, cancelled, stopping) = inbox.withLock { inbox in
                defer { inbox.pending = []; inbox.cancelled = [] }
                return (inbox.pending, inbox.cancelled, inbox.shuttingDown)
            }
            for group in pending {
                groups[group.id] = group
                feed(group)
            }
            for id in cancelled {
                guard let group = groups.removeValue(forKey: id) else { continue }
                for t in active.values where t.group === group { park(t) }
                group.fail(HTTPTransportError(kind: .cancelled, message: "request cancelled"))
            }
            if stopping {
                for t in active.values { park(t) }
                for g in groups.values { g.fail(HTTPTransportError(kind: .cancelled, message: "transport shut down")) }
                idle.removeAll()
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
                guard let priv, let t = active[ObjectIdentifier(Unmanaged<Transfer>.fromOpaque(priv).takeUnretainedValue())],
                      let group = t.group else {
                    curl_multi_remove_handle(multi, easy)
                    continue
                }
                let result = t.result(code)
                park(t)
                group.finished(t.index, result)
                feed(group)
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}

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

    /// Sets `r` up on the handle for `group`; returns an error instead if libcurl refuses an option.
    func start(_ r: HTTPRequest, group: RequestGroup, index: Int) -> HTTPTransportError? {
        self.group = group
        self.index = index
        maxBody = r.maxResponseBytes
        overflowed = false
        var code = CURLE_OK
        func set(_ c: CURLcode) { if code == CURLE_OK { code = c } }
        let wanted = Configuration(method: r.method, url: r.url, timeout: r.timeout, connectTimeout: r.connectTimeout,
                                   caFile: r.caFile)
        if wanted != configured {
            configured = nil
            curl_easy_reset(easy)
            set(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
            set(ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
            set(ccurl_easy_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)))
            set(ccurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
            set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
            set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
            set(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
            set(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
            let me = Unmanaged.passUnretained(self).toOpaque()
            set(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me))
            set(ccurl_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, CurlCallbacks.body))
            set(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me))
            set(ccurl_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, CurlCallbacks.header))
            set(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me))
            set(ccurl_easy_setopt_string(easy, CURLOPT_URL, r.url))
            set(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(r.timeout * 1000)))
            set(ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(r.connectTimeout * 1000)))
            if let ca = r.caFile { set(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, ca)) }
            switch r.method {
            case .get: set(ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
            case .post: break
            case .delete: set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "DELETE"))
            }
            if code == CURLE_OK { configured = wanted }
        }
        if r.method != .get {
            // libcurl reads the body from this buffer during the transfer: no copy of its own.
            if r.body.count > requestBody.count {
                requestBody.deallocate()
                requestBody = .allocate(byteCount: r.body.count, alignment: 1)
            }
            r.body.withUnsafeBytes { requestBody.copyMemory(from: $0) }
            set(ccurl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, r.body.count))
            set(ccurl_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, requestBody.baseAddress))
        }
        curl_slist_free_all(headerList)
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for h in r.headers { list = curl_slist_append(list, h.name + ": " + h.value) }
        headerList = list
        set(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list))
        errorBuffer[0] = 0
        guard code == CURLE_OK else {
            configured = nil
            return HTTPTransportError(kind: .other, message: "libcurl refused an option: " + String(cString: curl_easy_strerror(code)))
        }
        return nil
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
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var connects = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        var total = 0.0
        _ = ccurl_easy_getinfo_double(easy, CURLINFO_TOTAL_TIME, &total)
        return .success(HTTPResponse(status: status, rawHeaders: headerBytes, body: body, reusedConnection: connects == 0,
                                     totalSeconds: total, truncated: overflowed))
    }
}

/// C callbacks, kept out of any actor-isolated context (see docs: top-level closures trap off the main thread).
enum CurlCallbacks {
    static let body: curl_write_callback = { ptr, size, nmemb, userdata in
        let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * nmemb
        guard let ptr else { return n }
        let room = t.maxBody - t.body.count
        guard n <= room else {
            // Keep what fits and stop the transfer: libcurl ends it with CURLE_WRITE_ERROR.
            t.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: max(0, room)))
            t.overflowed = true
            return 0
        }
        t.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: n))
        return n
    }
    static let header: curl_write_callback = { ptr, size, nmemb, userdata in
        let t = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * nmemb
        if let ptr {
            let line = UnsafeRawBufferPointer(start: ptr, count: n)
            if line.starts(with: "HTTP/".utf8) { t.headerBytes.removeAll(keepingCapacity: true) }
            guard t.headerBytes.count + n <= Transfer.maxHeaderBytes else {
                t.overflowed = true
                return 0
            }
            t.headerBytes.append(contentsOf: line)
        }
        return n
    }
}
