import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The far end of `bench webhook`: an HTTP/1.1 keep-alive server that answers `200 ok` to every
/// request and counts them. Fast enough that the client side is what gets measured.
public final class LoopbackReceiver: Sendable {
    public let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let counter: Counter

    /// Requests answered so far.
    public var requests: Int { counter.value.load(ordering: .relaxed) }

    public var url: String { "http://127.0.0.1:\(port)/hook" }

    /// - Parameter threads: event loop threads serving requests.
    public static func start(threads: Int = 1) async throws -> LoopbackReceiver {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let counter = Counter()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(AnswerOK(counter: counter))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LoopbackReceiver(port: channel.localAddress?.port ?? 0, channel: channel, group: group, counter: counter)
    }

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, counter: Counter) {
        self.port = port
        self.channel = channel
        self.group = group
        self.counter = counter
    }

    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private final class AnswerOK: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let counter: Counter

        init(counter: Counter) { self.counter = counter }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            counter.value.add(1, ordering: .relaxed)
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Length", value: "2")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: "ok")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
