import Foundation
import VicinotifyCore

/// Follows a running daemon's `/v1/events` (Server-Sent Events over plain HTTP): catch-up from `since`,
/// then live; after a lost connection or an `overflow` it reconnects and resumes by `Last-Event-ID`, so
/// nothing is missed or repeated. Blocking: it runs on the caller's thread.
public final class SSETail {
    /// `scheme://host:port` of the daemon's listener.
    public let host: String
    public let port: Int
    /// `type=` and `agent=`; `since` only goes with the first request (later ones send `Last-Event-ID`).
    private let filters: [String]
    private let since: String?
    private let token: String?
    private let report: (String) -> Void
    private var lastID: String?

    /// - Parameters:
    ///   - url: `http://HOST:PORT` of the daemon's `http.listen`.
    ///   - since: a journal position, an RFC 3339 time or a duration; `nil` starts now.
    ///   - report: says what went wrong and that it is reconnecting (never the token).
    public init(url: String, since: String?, types: [String], agents: [String], token: String?,
                report: @escaping (String) -> Void) throws {
        guard let u = URLComponents(string: url), u.scheme == "http", let host = u.host, !host.isEmpty else {
            throw TailError("--url: expected http://HOST:PORT of the daemon's http.listen")
        }
        self.host = host
        self.port = u.port ?? 80
        var items: [String] = []
        if !types.isEmpty { items.append("type=" + types.map(Self.encode).joined(separator: ",")) }
        if !agents.isEmpty { items.append("agent=" + agents.map(Self.encode).joined(separator: ",")) }
        self.filters = items
        self.since = since
        self.token = token
        self.report = report
    }

    /// Calls `emit` with each event's JSON, in journal order, until it returns false. Throws what
    /// reconnecting cannot fix: a refused token, a start the journal no longer keeps.
    public func run(emit: (String) -> Bool) throws {
        var failures = 0
        while true {
            do {
                let keepGoing = try stream(emit: emit)
                if !keepGoing { return }
                failures = 0
            } catch let error as TailError where error.fatal {
                throw error
            } catch {
                failures += 1
                if failures == 1 { report("\(error); reconnecting") }
                usleep(useconds_t(min(5, failures) * 200_000))
            }
        }
    }

    /// One connection: false when `emit` wants no more; returns true when the daemon ended the stream.
    private func stream(emit: (String) -> Bool) throws -> Bool {
        let socket = try TailSocket(host: host, port: port)
        let items = filters + (lastID == nil ? since.map { ["since=" + Self.encode($0)] } ?? [] : [])
        var request = "GET /v1/events\(items.isEmpty ? "" : "?" + items.joined(separator: "&")) HTTP/1.0\r\n"
        request += "Host: \(host)\r\nAccept: text/event-stream\r\n"
        if let lastID { request += "Last-Event-ID: \(lastID)\r\n" }
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        try socket.send(request + "\r\n")
        let head = try socket.readUntil("\r\n\r\n")
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        if status == 401 || status == 403 { throw TailError("the daemon refused the token (HTTP \(status))", fatal: true) }
        guard status == 200 else { throw TailError("the daemon answered HTTP \(status)", fatal: status == 400) }
        while true {
            guard let frame = ServerSentEvents.parse(Array(try socket.readUntil("\n\n").utf8)) else { continue }
            let (id, data) = (frame.id, frame.data)
            switch frame.event {
            case "error": throw TailError("the daemon: \(data)", fatal: true)
            case "overflow": throw TailError("fell behind the daemon; resuming from event \(lastID ?? "?")")
            default:
                guard !data.isEmpty else { continue }
                if let id { lastID = id }
                if !emit(data) { return false }
            }
        }
    }

    private static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~*:"))) ?? s
    }
}

/// Why following stopped; `fatal` ones end the command, the others reconnect.
public struct TailError: Error, CustomStringConvertible {
    public var message: String
    public var fatal: Bool
    public init(_ message: String, fatal: Bool = false) {
        self.message = message
        self.fatal = fatal
    }
    public var description: String { message }
}

/// A blocking TCP connection for `SSETail`.
final class TailSocket {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw TailError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let a = candidate {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if s >= 0, connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { fd = s; return }
            if s >= 0 { close(s) }
            candidate = a.pointee.ai_next
        }
        throw TailError("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TailError("lost the connection to the daemon") }
            bytes = bytes.dropFirst(n)
        }
    }

    func readUntil(_ terminator: String) throws -> String {
        let t = Array(terminator.utf8)
        while true {
            if let r = buffer.firstRange(of: t) {
                let out = String(decoding: buffer[..<r.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<r.upperBound)
                return out
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw TailError("the daemon closed the stream") }
            buffer += chunk[..<n]
        }
    }
}
