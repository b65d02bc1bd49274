import CurlHTTP
@testable import Daemon
import Foundation
import Logging
import NIOCore
import Testing

/// The listener under clients that connect and never finish a request (slowloris).
@Suite(.serialized) struct OperationsServerTests {
    /// Sockets to 127.0.0.1:`port`, each having sent a request line and one header line, never the end.
    static func slowClients(_ count: Int, port: Int) async -> [Int32] {
        await withCheckedContinuation { c in
            Thread.detachNewThread {
                var fds: [Int32] = []
                for _ in 0..<count {
                    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                    var addr = sockaddr_in()
                    addr.sin_family = sa_family_t(AF_INET)
                    addr.sin_port = in_port_t(UInt16(port).bigEndian)
                    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                    let ok = withUnsafePointer(to: &addr) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                    }
                    guard ok == 0 else { close(fd); continue }
                    let partial = Array("GET /v1/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n".utf8)
                    _ = partial.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    fds.append(fd)
                }
                c.resume(returning: fds)
            }
        }
    }

    /// Whether the server closed `fd` within `seconds` (a read returns end of file or a reset).
    static func closedByServer(_ fd: Int32, within seconds: Int) async -> Bool {
        await withCheckedContinuation { c in
            Thread.detachNewThread {
                var timeout = timeval(tv_sec: seconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var byte: UInt8 = 0
                let n = recv(fd, &byte, 1, 0)
                c.resume(returning: n == 0 || (n < 0 && errno == ECONNRESET))
            }
        }
    }

    static func start(maxConnections: Int, headerTimeout: TimeAmount) async throws -> OperationsServer {
        try await OperationsServer.start(host: "127.0.0.1", port: 0, logger: Logger(label: "test"), maxConnections: maxConnections,
                                         headerTimeout: headerTimeout) { request in
            .init(status: 200, contentType: "application/json", body: "{\"path\":\"\(request.uri)\"}\n")
        }
    }

    /// 256 slots, so that 600 clients and the slots fit in 1,024 descriptors (the limit is never changed
    /// here: other tests start processes meanwhile, and Foundation reads it as it does).
    @Test func sixHundredSlowClientsDoNotLockOperatorsOut() async throws {
        let server = try await Self.start(maxConnections: 256, headerTimeout: .seconds(60))
        let slow = await Self.slowClients(600, port: server.port)
        defer { slow.forEach { close($0) } }
        #expect(slow.count == 600)
        let http = CurlTransport()
        for path in ["/healthz", "/metrics", "/v1/agents", "/"] {
            let r = try await http.perform(HTTPRequest(url: "http://127.0.0.1:\(server.port)\(path)", timeout: 10))
            #expect(r.status == 200, "\(path) answers while 600 clients trickle headers")
        }
        await server.stop()
    }

    @Test func aRequestHeadMustArriveWithinTheHeaderTimeout() async throws {
        let server = try await Self.start(maxConnections: 16, headerTimeout: .milliseconds(500))
        let slow = await Self.slowClients(1, port: server.port)
        defer { slow.forEach { close($0) } }
        #expect(await Self.closedByServer(slow[0], within: 10), "closed at the header deadline, not the 30 s idle timeout")
        await server.stop()
    }
}
