import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The opt-in HTTP listener for operators (`"http": {"listen": "127.0.0.1:9464"}`): `GET /metrics`,
/// `/healthz` and `/readyz`, answered by `respond`.
public final class OperationsServer: Sendable {
    /// What to answer for a path.
    public struct Reply: Sendable {
        public var status: Int
        public var contentType: String
        public var body: String

        public init(status: Int, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    public let port: Int
    private let serving: Task<Void, Never>

    private init(port: Int, serving: Task<Void, Never>) {
        self.port = port
        self.serving = serving
    }

    /// Binds and serves in the background. Throws when the address cannot be bound.
    public static func start(host: String, port: Int, logger: Logger,
                             respond: @escaping @Sendable (_ path: String) async -> Reply) async throws -> OperationsServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = channel.channel.localAddress?.port ?? port
        let serving = Task {
            do {
                try await withThrowingDiscardingTaskGroup { group in
                    try await channel.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await serve(connection, respond: respond) }
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

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
                              respond: @Sendable (String) async -> Reply) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let h): head = h
                case .body: break
                case .end:
                    guard let h = head else { continue }
                    let path = String(h.uri.prefix { $0 != "?" })
                    let reply = h.method == .GET || h.method == .HEAD
                        ? await respond(path)
                        : Reply(status: 405, contentType: "text/plain", body: "GET only\n")
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: reply.contentType)
                    headers.add(name: "Content-Length", value: String(reply.body.utf8.count))
                    if !h.isKeepAlive { headers.add(name: "Connection", value: "close") }
                    try await outbound.write(.head(HTTPResponseHead(version: h.version, status: .init(statusCode: reply.status),
                                                                    headers: headers)))
                    if h.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: reply.body)))) }
                    try await outbound.write(.end(nil))
                    if !h.isKeepAlive { return }
                }
            }
        }
    }
}
