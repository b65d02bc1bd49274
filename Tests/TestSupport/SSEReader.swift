import Foundation
import VicinotifyCore

/// A Server-Sent Events reader over a plain socket (HTTP/1.0, so the body is not chunked), reading on a
/// thread of its own: what a browser's `EventSource` does, for tests.
public final class SSEReader: @unchecked Sendable {
    public struct Frame: Sendable {
        public var id: String?
        public var event: String
        public var data: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var status = 0

    /// Connects to 127.0.0.1:`port`, sends `GET path` with the given headers, and reads the status line.
    public static func open(port: Int, path: String, headers: [String: String] = [:]) async throws -> SSEReader {
        try await onThread {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                                   sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0 else { Glibc.close(fd); throw ControlError(message: "cannot connect to port \(port)") }
            let reader = SSEReader(fd: fd)
            var request = "GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            for (k, v) in headers { request += "\(k): \(v)\r\n" }
            request += "\r\n"
            _ = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
            guard let head = reader.readUntil([13, 10, 13, 10], timeout: 10) else { throw ControlError(message: "no response head") }
            reader.status = Int(String(decoding: head, as: UTF8.self).split(separator: " ").dropFirst().first ?? "") ?? 0
            return reader
        }
    }

    private init(fd: Int32) { self.fd = fd }

    deinit { Glibc.close(fd) }

    /// The next frame (comments skipped), or `nil` when the stream ends or `timeout` seconds pass.
    public func next(timeout: Double = 10) async -> Frame? {
        await Self.onThreadNonThrowing { [self] in
            let deadline = Date(timeIntervalSinceNow: timeout)
            while true {
                guard let block = readUntil([10, 10], timeout: deadline.timeIntervalSinceNow) else { return nil }
                if let f = ServerSentEvents.parse(block) { return Frame(id: f.id, event: f.event, data: f.data) }
            }
        }
    }

    public func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Bytes up to and including `terminator`, reading more as needed.
    private func readUntil(_ terminator: [UInt8], timeout: Double) -> [UInt8]? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let r = buffer.firstRange(of: terminator) {
                let out = Array(buffer[..<r.upperBound])
                buffer.removeSubrange(..<r.upperBound)
                return out
            }
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard left > 0, poll(&p, 1, left) == 1 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return nil }
            buffer += chunk[..<n]
        }
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in Thread.detachNewThread { c.resume(with: Result { try body() }) } }
    }

    private static func onThreadNonThrowing<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in Thread.detachNewThread { c.resume(returning: body()) } }
    }
}
