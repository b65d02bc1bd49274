import Foundation
import Logging
import MariaDB
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// How to start a simulated VICIdial server.
public struct SimulatorConfiguration: Sendable {
    /// Loopback only, unless a caller insists otherwise.
    public var host = "127.0.0.1"
    /// 0 picks a free port; `SimulatorServer.port` tells which.
    public var port = 0
    public var agents = 20
    public var seed: UInt64 = 1
    /// Whether the roster starts logged in.
    public var startLoggedIn = true
    /// Seconds between autonomous ticks of the day; `nil`: the floor changes only when told to.
    public var tickInterval: Double?
    /// Each agent changes at most every `spread` ticks, the floor staggered across them.
    public var spread = 1
    public var apiUser = "apiuser"
    public var apiPassword = "apipass"
    /// Also write the floor into VICIdial's tables in this MariaDB database (`--mirror-db`), every
    /// `mirrorInterval` seconds when it changed.
    public var mirror: MariaDBConnectionOptions?
    public var mirrorInterval = 0.05

    public init() {}
}

/// A VICIdial-compatible `/vicidial/non_agent_api.php` plus the `/sim/` control interface, on NIO.
public final class SimulatorServer: Sendable {
    public let port: Int
    public let host: String
    private let floor: Mutex<Floor>
    private let tasks: Mutex<[Task<Void, Never>]>

    /// `http://host:port/vicidial/non_agent_api.php`.
    public var apiURL: String { "http://\(host):\(port)/vicidial/non_agent_api.php" }
    /// `http://host:port`.
    public var baseURL: String { "http://\(host):\(port)" }

    private init(port: Int, host: String, floor: Floor) {
        self.port = port
        self.host = host
        self.floor = Mutex(floor)
        self.tasks = Mutex([])
    }

    /// Binds, starts serving in the background, and returns once the port is open.
    public static func start(_ config: SimulatorConfiguration, logger: Logger = Logger(label: "simulator")) async throws -> SimulatorServer {
        var floor = Floor(agents: config.agents, seed: config.seed, loggedIn: config.startLoggedIn)
        floor.spread = max(1, config.spread)
        floor.accounts = [config.apiUser: SimAccount(user: config.apiUser, password: config.apiPassword)]
        floor.primary = config.apiUser
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: config.host, port: config.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    let connection = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    // Kept until the channel closes: one accepted as the server stops is never served, and NIO traps when
                    // an unserved connection's writer goes away while its channel is open.
                    channel.closeFuture.whenComplete { _ in withExtendedLifetime(connection) {} }
                    return connection
                }
            }
        let server = SimulatorServer(port: channel.channel.localAddress?.port ?? config.port, host: config.host, floor: floor)
        let serve = Task {
            do {
                try await withThrowingDiscardingTaskGroup { group in
                    try await channel.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await server.serve(connection) }
                        }
                    }
                }
            } catch is CancellationError {
            } catch {
                logger.debug("simulator stopped: \(error)")
            }
        }
        server.tasks.withLock { $0.append(serve) }
        if let every = config.tickInterval, every > 0 {
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int(every * 1000)))
                    if Task.isCancelled { break }
                    _ = server.floor.withLock { $0.tick() }
                }
            }
            server.tasks.withLock { $0.append(ticker) }
        }
        if let options = config.mirror {
            let mirror = FloorMirror(options)
            try await server.mirror(to: mirror)  // the floor is in the tables before the URL is printed
            let writer = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int(config.mirrorInterval * 1000)))
                    do { try await server.mirror(to: mirror) } catch { logger.warning("cannot mirror the floor: \(error)") }
                }
            }
            server.tasks.withLock { $0.append(writer) }
        }
        return server
    }

    private func mirror(to mirror: FloorMirror) async throws {
        let (agents, users, queues, version) = floor.withLock { f in
            (f.loggedIn, f.users.values.sorted { $0.user < $1.user }, f.queues.keys.sorted().map { f.queues[$0]! }, f.version)
        }
        try await mirror.sync(agents, users: users, queues: queues, version: version)
    }

    /// Stops serving and closes every connection.
    public func shutdown() async {
        let running = tasks.withLock { t in defer { t = [] }; return t }
        for t in running { t.cancel() }
        for t in running { await t.value }
    }

    /// Advances the simulated day by `count` ticks (as `POST /sim/tick`). Returns how many agent changes it made.
    @discardableResult
    public func tick(_ count: Int = 1) -> Int {
        floor.withLock { f in (0..<count).reduce(0) { n, _ in n + f.tick() } }
    }

    /// Answers one request: exposed so benchmarks and tests can exercise the responder without sockets.
    func respond(method: String, uri: String, body: [UInt8]) -> Reply {
        let (path, query) = Self.splitURI(uri)
        if path.hasPrefix("/sim/") || path == "/sim" {
            return floor.withLock { ControlAPI.answer(method: method, path: path, body: body, floor: &$0) }
        }
        guard path.hasSuffix("/non_agent_api.php") else {
            return Reply(status: 404, text: "<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n")
        }
        var params = Self.form(query)
        // PHP's $_REQUEST: POST fields override the query's.
        if method == "POST" { params.merge(Self.form(String(decoding: body, as: UTF8.self))) { _, b in b } }
        let passInURL = Self.form(query)["pass"] != nil
        return floor.withLock { floor in
            floor.methods[method, default: 0] += 1
            if passInURL { floor.passInURL += 1 }
            return NonAgentAPI.answer(params, floor: &floor, now: Date().addingTimeInterval(floor.clockOffset))
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                case .body(let buffer):
                    body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let h = head else { continue }
                    let reply = respond(method: h.method.rawValue, uri: h.uri, body: body)
                    if reply.delayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(reply.delayMilliseconds)) }
                    if reply.drop { return }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: reply.contentType)
                    headers.add(name: "Content-Length", value: String(reply.body.count))
                    headers.add(name: "Server", value: "Apache")
                    if !h.isKeepAlive { headers.add(name: "Connection", value: "close") }
                    try await outbound.write(.head(HTTPResponseHead(version: h.version, status: .init(statusCode: reply.status), headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: reply.body))))
                    try await outbound.write(.end(nil))
                    if !h.isKeepAlive { return }
                }
            }
        }
    }

    static func splitURI(_ uri: String) -> (String, String) {
        guard let q = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<q]), String(uri[uri.index(after: q)...]))
    }

    static func form(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in s.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(kv[0])
            out[key] = kv.count > 1 ? decode(kv[1]) : ""  // PHP keeps the last of a repeated key
        }
        return out
    }

    private static func decode(_ s: Substring) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
    }
}
