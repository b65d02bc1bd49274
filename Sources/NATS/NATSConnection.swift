import CNats
import Foundation
import WorkerThreads

/// One connection to NATS with a JetStream context. Every libnats call runs on the connection's own thread
/// (`WorkerThread`), never on Swift's cooperative pool; acknowledgments come back on libnats' thread through
/// `AckRouter`. The library reconnects by itself (forever, with a bounded buffer).
public final class NATSConnection: @unchecked Sendable {
    /// One message to publish: `id` becomes its `Nats-Msg-Id`, so JetStream stores it once.
    public struct Message: Sendable {
        public var subject: String
        public var id: String
        public var data: [UInt8]

        public init(subject: String, id: String, data: [UInt8]) {
            self.subject = subject
            self.id = id
            self.data = data
        }
    }

    let worker = WorkerThread(name: "nats")
    private var connection: OpaquePointer?  // natsConnection*, touched on `worker` only
    private var jetStream: OpaquePointer?   // jsCtx*
    private var router: AckRouter { events.router }
    private let events: EventBox
    /// The server's limit on a message's size.
    public private(set) var maxPayload = 0

    private init(events: @escaping @Sendable (NATSConnectionEvent) -> Void) { self.events = EventBox(events, router: AckRouter()) }

    /// Connects (blocking work on the connection's thread).
    /// - Parameters:
    ///   - maxInFlight: publishes awaiting their acknowledgment at most; a publish beyond waits for a slot.
    ///   - stallWait: seconds a publish waits for a slot before it fails as a timeout.
    public static func connect(_ options: NATSConnectionOptions, maxInFlight: Int = 256, stallWait: Double = 5,
                               events: @escaping @Sendable (NATSConnectionEvent) -> Void = { _ in }) async throws(NATSError) -> NATSConnection {
        let c = NATSConnection(events: events)
        let result: Result<Void, NATSError> = await c.worker.run {
            Result { () throws(NATSError) in try c.open(options, maxInFlight, stallWait) }
        }
        if case .failure(let e) = result {
            await c.close()
            throw e
        }
        return c
    }

    private func open(_ o: NATSConnectionOptions, _ maxInFlight: Int, _ stallWait: Double) throws(NATSError) {
        var opts: OpaquePointer?
        try NATS.call("cannot prepare the NATS options") { natsOptions_Create(&opts) }
        defer { natsOptions_Destroy(opts) }
        var servers = o.servers.map { strdup($0) }
        defer { for s in servers { free(s) } }
        try NATS.call("bad NATS server list") {
            servers.withUnsafeMutableBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) {
                    return natsOptions_SetServers(opts, $0, Int32(buf.count))
                }
            }
        }
        try NATS.call("cannot name the connection") { natsOptions_SetName(opts, o.name) }
        try NATS.call("bad connect timeout") { natsOptions_SetTimeout(opts, Int64(o.connectTimeout * 1000)) }
        try NATS.call("cannot set reconnects") { natsOptions_SetMaxReconnect(opts, -1) }
        try NATS.call("cannot set the reconnect wait") { natsOptions_SetReconnectWait(opts, 250) }
        try NATS.call("cannot bound the reconnect buffer") { natsOptions_SetReconnectBufSize(opts, Int32(o.reconnectBufferBytes)) }
        try NATS.call("cannot set the first connect") { natsOptions_SetRetryOnFailedConnect(opts, false, nil, nil) }
        if let user = o.user { try NATS.call("bad NATS user") { natsOptions_SetUserInfo(opts, user, o.password ?? "") } }
        if let token = o.token { try NATS.call("bad NATS token") { natsOptions_SetToken(opts, token) } }
        if let creds = o.credentialsFile {
            try NATS.call("cannot use the credentials file \(creds)") { natsOptions_SetUserCredentialsFromFiles(opts, creds, nil) }
        }
        if let ca = o.caFile {
            try NATS.call("cannot require TLS") { natsOptions_SetSecure(opts, true) }
            try NATS.call("cannot load the CA file \(ca)") { natsOptions_LoadCATrustedCertificates(opts, ca) }
        }
        // libnats may call back after the connection is destroyed (a last "disconnected"): the callbacks' box
        // is retained for the library, and released by the closed callback, its last.
        let retained = Unmanaged.passRetained(events)
        let box = retained.toOpaque()
        do {
            try NATS.call("cannot watch disconnects") { natsOptions_SetDisconnectedCB(opts, EventBox.disconnected, box) }
            try NATS.call("cannot watch reconnects") { natsOptions_SetReconnectedCB(opts, EventBox.reconnected, box) }
            try NATS.call("cannot watch errors") { natsOptions_SetErrorHandler(opts, EventBox.asyncError, box) }
            try NATS.call("cannot watch the close") { natsOptions_SetClosedCB(opts, EventBox.closed, box) }
            try NATS.call("cannot connect to NATS at \(o.redactedServers)") { natsConnection_Connect(&connection, opts) }
        } catch {
            retained.release()  // no connection: no callback will come
            throw error
        }
        maxPayload = Int(natsConnection_GetMaxPayload(connection))
        var jo = jsOptions()
        try NATS.call("cannot prepare JetStream options") { jsOptions_Init(&jo) }
        jo.PublishAsync.MaxPending = Int64(maxInFlight)
        jo.PublishAsync.StallWait = Int64(stallWait * 1000)
        jo.PublishAsync.AckHandler = AckRouter.ackHandler
        jo.PublishAsync.AckHandlerClosure = box  // the box holds the router, and outlives every acknowledgment
        try NATS.call("cannot open a JetStream context") { natsConnection_JetStream(&jetStream, connection, &jo) }
    }

    /// Publishes `messages` at once and awaits each one's acknowledgment for at most `timeout` seconds. On a
    /// timeout every message of the connection still unacknowledged is taken back, so calls that overlap
    /// (as the latency benchmark's do) time out together; the sink makes one call at a time.
    /// - Returns: per message, its stream sequence or why it was not stored (a timeout: the server may or may
    ///   not have it; a retry with the same id is stored once).
    public func publish(_ messages: [Message], timeout: Double) async -> [Result<UInt64, NATSError>] {
        let ids = messages.map(\.id)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        let timer = Task { [self] in
            try await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
            await worker.run { self.dropPending() }
            router.expire(ids, NATSError(status: NATS_TIMEOUT.rawValue, message: "no acknowledgment from JetStream within \(timeout)s"))
        }
        defer { timer.cancel() }
        return await router.await(ids) { [self] in
            worker.submit { for m in messages { self.publishOne(m, deadline: deadline) } }
        }
    }

    /// Publishes one message unless the call's deadline has passed (a stalled server would otherwise hold
    /// every later message of the call for a stall wait each).
    private func publishOne(_ m: Message, deadline: UInt64) {
        guard DispatchTime.now().uptimeNanoseconds < deadline else {
            return router.resolve(m.id, .failure(NATSError(status: NATS_TIMEOUT.rawValue, message: "not published: the batch timed out")))
        }
        guard m.data.count <= maxPayload else {
            return router.resolve(m.id, .failure(NATSError(status: NATS_MAX_PAYLOAD.rawValue,
                message: "the event is \(m.data.count) bytes, over the server's max_payload of \(maxPayload)")))
        }
        var msg: OpaquePointer?
        defer { natsMsg_Destroy(msg) }  // a no-op once the library has taken the message
        do {
            try NATS.call("cannot make a message for \(m.subject)") { m.data.withUnsafeBytes { natsMsg_Create(&msg, m.subject, nil, $0.baseAddress, Int32($0.count)) } }
            try NATS.call("cannot set Nats-Msg-Id") { natsMsgHeader_Set(msg, "Nats-Msg-Id", m.id) }
            try NATS.call("cannot publish to \(m.subject)") { js_PublishMsgAsync(jetStream, &msg, nil) }
        } catch {
            router.resolve(m.id, .failure(error))
        }
    }

    /// Takes back every message still awaiting its acknowledgment (a late one is then ignored) and frees it.
    private func dropPending() {
        var list = natsMsgList()
        guard js_PublishAsyncGetPendingList(&list, jetStream) == NATS_OK else { return }
        natsMsgList_Destroy(&list)
    }

    /// Runs `body` with the connection and JetStream context on the connection's thread.
    func withHandles<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer?, OpaquePointer?) -> T) async -> T {
        await worker.run { body(self.connection, self.jetStream) }
    }

    /// Dropped without `close()`: nothing can use the handles any more, so they are freed here, and the
    /// thread ends (a dropped connection used to keep its thread and libnats' own ones alive).
    deinit {
        if let js = jetStream { jsCtx_Destroy(js) }
        if let nc = connection { natsConnection_Destroy(nc) }
        worker.shutdown()
    }

    /// Closes the connection and ends its thread.
    public func close() async {
        await worker.run {
            if let js = self.jetStream { jsCtx_Destroy(js) }
            if let nc = self.connection { natsConnection_Destroy(nc) }
            self.jetStream = nil
            self.connection = nil
        }
        worker.shutdown()
    }
}

/// What libnats' C callbacks reach: the owner's event callback and the acknowledgments' router.
final class EventBox: Sendable {
    let send: @Sendable (NATSConnectionEvent) -> Void
    let router: AckRouter

    init(_ send: @escaping @Sendable (NATSConnectionEvent) -> Void, router: AckRouter) {
        self.send = send
        self.router = router
    }

    static func from(_ closure: UnsafeMutableRawPointer?) -> EventBox? {
        closure.map { Unmanaged<EventBox>.fromOpaque($0).takeUnretainedValue() }
    }

    static let disconnected: natsConnectionHandler = { _, closure in from(closure)?.send(.disconnected) }
    static let reconnected: natsConnectionHandler = { nc, closure in
        var url = [CChar](repeating: 0, count: 256)
        let known = (try? NATS.call("cannot read the server's URL") { natsConnection_GetConnectedUrl(nc, &url, 256) }) != nil
        from(closure)?.send(.reconnected(known ? String(cString: url) : "(server unknown)"))
    }
    /// The library's last callback for a connection: its retain on the box ends.
    static let closed: natsConnectionHandler = { _, closure in
        closure.map { Unmanaged<EventBox>.fromOpaque($0).release() }
    }
    static let asyncError: natsErrHandler = { _, _, status, closure in
        from(closure)?.send(.asyncError(NATS.error(status, "NATS reported an error")))
    }
}
