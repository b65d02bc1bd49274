import Foundation

/// A real `nats-server -js` (Debian's) on free 127.0.0.1 ports with a store directory of its own, for one
/// test: stopped, paused, killed and restarted on demand, removed at the end. Several make a cluster.
public final class NATSServerProcess: @unchecked Sendable {
    public let name: String
    public let port: Int
    public let clusterPort: Int
    public let store: TemporaryDirectory
    private let extra: [String]
    private var process: Child?

    public var url: String { "nats://127.0.0.1:\(port)" }

    init(name: String, extra: [String]) {
        self.name = name
        port = freeLoopbackPort()
        clusterPort = freeLoopbackPort()
        store = TemporaryDirectory("vn-nats-\(name)")
        self.extra = extra
    }

    /// One server; `user`/`password` make it require them.
    public static func start(user: String? = nil, password: String? = nil) async throws -> NATSServerProcess {
        var extra: [String] = []
        if let user, let password { extra += ["--user", user, "--pass", password] }
        let s = NATSServerProcess(name: "single", extra: extra)
        try await s.start()
        return s
    }

    /// A three-node JetStream cluster on loopback.
    public static func cluster(_ count: Int = 3) async throws -> [NATSServerProcess] {
        let nodes = (0..<count).map { NATSServerProcess(name: "n\($0)", extra: []) }
        let routes = nodes.map { "nats://127.0.0.1:\($0.clusterPort)" }.joined(separator: ",")
        for n in nodes {
            n.clusterArgs = ["--cluster_name", "vn", "--cluster", "nats://127.0.0.1:\(n.clusterPort)", "--routes", routes]
        }
        try await withThrowingTaskGroup(of: Void.self) { g in
            for n in nodes { g.addTask { try await n.start() } }
            try await g.waitForAll()
        }
        return nodes
    }

    private var clusterArgs: [String] = []

    public func start() async throws {
        process = try Child("/usr/sbin/nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store.path, "-n", name]
                            + clusterArgs + extra, stdout: .null, stderr: .null)
        for _ in 0..<200 {  // at most 10 s
            if Self.accepts(port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ControlError(message: "nats-server \(name) did not listen on \(port)")
    }

    /// SIGKILL: no goodbye, as a crash.
    public func kill() async {
        guard let p = process, p.isRunning else { return }
        p.send(SIGKILL)
        await p.exited()
    }

    public func stop() async {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        await p.exited()
    }

    public func pause() { process?.send(SIGSTOP) }
    public func resume() { process?.send(SIGCONT) }

    /// Stops the server and removes its store.
    public func remove() async {
        resume()
        await kill()
        store.remove()
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                               sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now.
public func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")),
                           sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
