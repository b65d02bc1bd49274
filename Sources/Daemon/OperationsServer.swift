import Glibc
import HandOverTrace
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The opt-in HTTP listener for operators (`"http": {"listen": "127.0.0.1:9464"}`): `GET /metrics`,
/// `/healthz`, `/readyz` and `/v1/agents`, answered by `respond` (which gets the request URI, query included).
///
/// It never takes the file descriptors the journal and the sinks need: at most `maxConnections` at once.
/// A request's head must arrive within `headerTimeout` of the connection (or of the previous answer),
/// and when every slot is taken a new connection replaces the one that has waited longest for its
/// request (`ConnectionSlots`): clients that trickle headers cannot lock operators out. A connection
/// idle for `idleTimeout` is closed.
public final class OperationsServer: Sendable {
    /// A request as `respond` sees it.
    public struct Request: Sendable {
        /// `GET`, `HEAD` or `OPTIONS` (others are answered 405 before `respond`).
        public var method: String
        /// Path and query.
        public var uri: String
        public var headers: [(name: String, value: String)]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// What to answer: a whole body, or a stream (Server-Sent Events) written until it returns.
    public struct Reply: Sendable {
        public typealias Writer = @Sendable (ByteBuffer) async throws -> Void
        public var status: Int
        public var contentType: String
        public var body: String
        public var headers: [(name: String, value: String)] = []
        /// Writes the body through `write` (with backpressure); returns last words to send before the end
        /// of the response, even to a reader whose writes were abandoned.
        public var stream: (@Sendable (_ write: @escaping Writer) async -> ByteBuffer?)?

        public init(status: Int, contentType: String, body: String, headers: [(name: String, value: String)] = [],
                    stream: (@Sendable (_ write: @escaping Writer) async -> ByteBuffer?)? = nil) {
            self.headers = headers
            self.status = status
            self.contentType = contentType
            self.body = body
            self.stream = stream
        }
    }

    public let port: Int
    private let serving: Task<Void, Never>

    private init(port: Int, serving: Task<Void, Never>) {
        self.port = port
        self.serving = serving
    }

    /// Connections served at once: 512, or a quarter of the process's file descriptor limit if lower.
    public static var defaultMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < 1 << 30 else { return 512 }
        return max(4, min(512, Int(limit.rlim_cur) / 4))
    }

    /// Binds and serves in the background. Throws when the address cannot be bound.
    public static func start(host: String, port: Int, logger: Logger, maxConnections: Int = defaultMaxConnections,
                             idleTimeout: TimeAmount = .seconds(30), headerTimeout: TimeAmount = .seconds(10),
                             respond: @escaping @Sendable (Request) async -> Reply) async throws -> OperationsServer {
        let slots = ConnectionSlots(capacity: maxConnections, headerTimeout: headerTimeout)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                // Every slot busy: its request stream ends at once; it is served nothing.
                if !slots.admit(channel) { channel.close(promise: nil) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    let connection = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    // Kept until the channel closes: one accepted as the server stops is never served, and NIO traps when
                    // an unserved connection's writer goes away while its channel is open.
                    channel.closeFuture.whenComplete { _ in withExtendedLifetime(connection) {} }
                    return connection
                }
            }
        let bound = channel.channel.localAddress?.port ?? port
        let serving = Task {
            do {
                try await withThrowingDiscardingTaskGroup { group in
                    try await channel.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await serve(connection, slots: slots, respond: respond) }
                        }
                    }
                }
            } catch is CancellationError {
            } catch {
                logger.debug("the metrics and health listener stopped", metadata: ["error": "\(error)"])
            }
        }
        return OperationsServer(port: bound, serving: serving)
    }

    public func stop() async {
        serving.cancel()
        await serving.value
    }

    /// How long a finished stream may take to reach a slow reader before its connection is closed.
    static let flushGrace = TimeAmount.seconds(10)

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, slots: ConnectionSlots,
                              respond: @Sendable (Request) async -> Reply) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    slots.busy(connection.channel)
                case .body: break
                case .end:
                    guard let h = head else { continue }
                    let reply = h.method == .GET || h.method == .HEAD || h.method == .OPTIONS
                        ? await respond(Request(method: h.method.rawValue, uri: h.uri, headers: h.headers.map { ($0.name, $0.value) }))
                        : Reply(status: 405, contentType: "text/plain", body: "GET only\n")
                    if let stream = reply.stream {
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: reply.contentType)
                        headers.add(name: "Cache-Control", value: "no-cache")
                        headers.add(name: "X-Accel-Buffering", value: "no")
                        for (name, value) in reply.headers { headers.add(name: name, value: value) }
                        try await outbound.write(.head(HTTPResponseHead(version: h.version, status: .ok, headers: headers)))
                        let loop = connection.channel.eventLoop
                        let last = await stream { bytes in
                            if HandOverTrace.isOn { loop.execute { HandOverTrace.mark("sse.socket") } }
                            try await outbound.write(.body(.byteBuffer(bytes)))
                        }
                        // Straight to the channel, behind what the writer handed over (abandoned writes were not):
                        // closing would drop what the socket has not taken yet, so wait until the end of the
                        // response is written, for at most `flushGrace`.
                        let channel = connection.channel
                        let deadline = channel.eventLoop.scheduleTask(in: flushGrace) { channel.close(promise: nil) }
                        if let last { channel.write(HTTPServerResponsePart.body(.byteBuffer(last)), promise: nil) }
                        try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
                        deadline.cancel()
                        return
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: reply.contentType)
                    headers.add(name: "Content-Length", value: String(reply.body.utf8.count))
                    for (name, value) in reply.headers { headers.add(name: name, value: value) }
                    if !h.isKeepAlive { headers.add(name: "Connection", value: "close") }
                    try await outbound.write(.head(HTTPResponseHead(version: h.version, status: .init(statusCode: reply.status),
                                                                    headers: headers)))
                    if h.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: reply.body)))) }
                    try await outbound.write(.end(nil))
                    if !h.isKeepAlive { return }
                    slots.waiting(connection.channel)
                }
            }
        }
    }
}

/// Closes a connection when `IdleStateHandler` reports it idle.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }
}
