import Dispatch
import Foundation
import Synchronization
import VicinotifyCore

/// Many readers of one `/v1/events` on threads of their own (`threads`, each with its share of them): `poll(2)` over their sockets, frames
/// parsed as they arrive, each one's arrival taken in `DispatchTime` uptime nanoseconds. A reader marked
/// `stuck` is connected but not read from until `release` (a client that stopped reading).
public final class SSEReaderPool: @unchecked Sendable {
    /// What one reader received.
    public struct Reader: Sendable {
        /// Event frames (those with an `id`).
        public var frames = 0
        public var firstID: Int64 = -1
        public var lastID: Int64 = -1
        /// Frames whose id did not follow the previous one's (an unfiltered reader sees consecutive ids).
        public var gaps = 0
        /// Frames without an id (`overflow`, `error`), by event name, with their data.
        public var notices: [(event: String, data: String)] = []
        /// The server closed the stream.
        public var ended = false
        public var status = 0
    }

    /// Takes an event's id, its arrival (uptime ns) and its `data` line; returns its latency, or `nil`.
    public typealias Latency = @Sendable (_ id: Int64, _ arrival: UInt64, _ data: ArraySlice<UInt8>) -> Double?

    private struct Connection {
        var fd: Int32
        var buffer: [UInt8] = []
        var scanned = 0
        var headDone = false
        var stuck: Bool
        var reader = Reader()
        var latencies: [Double] = []
    }

    private let lock = NSLock()
    private var connections: [Connection] = []  // guarded by `lock` outside the thread's loop
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let latency: Latency
    private let measureEvery: Int
    private let cpuNanos: Mutex<[UInt64]>
    private let threads: Int
    /// CPU seconds the reading threads have used so far (updated as they read).
    public var threadCPUSeconds: Double { Double(cpuNanos.withLock { $0.reduce(0, +) }) / 1e9 }

    /// Connects `count` readers (measuring the latency of every `measureEvery`-th event of each) to `127.0.0.1:port` with `GET path` and the given headers.
    public init(port: Int, path: String, count: Int, stuck: Set<Int> = [], headers: [String: String] = [:],
                measureEvery: Int = 1, threads: Int = 1, latency: @escaping Latency = { _, _, _ in nil }) throws {
        self.threads = max(1, min(threads, count))
        cpuNanos = Mutex(Array(repeating: 0, count: self.threads))
        self.latency = latency
        self.measureEvery = max(1, measureEvery)
        var request = "GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        for i in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw PoolError(message: "socket: \(String(cString: strerror(errno)))") }
            if stuck.contains(i) {
                var small: Int32 = 4096
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            }
            var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                                   sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0 else {
                close(fd)
                throw PoolError(message: "cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
            }
            _ = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            connections.append(Connection(fd: fd, stuck: stuck.contains(i)))
        }
        for t in 0..<self.threads {
            let part = (count * t / self.threads)..<(count * (t + 1) / self.threads)
            Thread { [self] in loop(part, slot: t) }.start()
        }
    }

    deinit { for c in connections { close(c.fd) } }

    /// A copy of every reader's results so far.
    public var readers: [Reader] { lock.withLock { connections.map(\.reader) } }

    /// Seconds from each measured event's publication (per `latency`) to its arrival, of the readers in `range`.
    public func latencies(_ range: Range<Int>) -> [Double] { lock.withLock { connections[range].flatMap(\.latencies) } }

    /// Starts reading a stuck reader.
    public func release(_ index: Int) { lock.withLock { connections[index].stuck = false } }

    /// Stops reading and waits for the threads to end.
    public func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        for _ in 0..<threads { done.wait() }
    }

    /// Waits (polling every 50 ms, at most `timeout` seconds) until `condition` holds for the readers.
    public func wait(timeout: Double, until condition: @escaping @Sendable ([Reader]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if condition(readers) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition(readers)
    }

    /// Reads the connections in `part`; `slot` is where this thread reports its CPU time.
    private func loop(_ part: Range<Int>, slot: Int) {
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        while !stopping.load(ordering: .relaxed) {
            var fds = lock.withLock {
                connections[part].map { pollfd(fd: $0.fd, events: $0.stuck || $0.reader.ended ? 0 : Int16(POLLIN), revents: 0) }
            }
            var cpu = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
            cpuNanos.withLock { $0[slot] = UInt64(cpu.tv_sec) * 1_000_000_000 + UInt64(cpu.tv_nsec) }
            guard poll(&fds, nfds_t(fds.count), 50) > 0 else { continue }
            let now = DispatchTime.now().uptimeNanoseconds
            for (k, p) in fds.enumerated() where p.revents != 0 {
                let i = part.lowerBound + k
                let n = chunk.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                lock.withLock {
                    if n <= 0 {
                        if n == 0 || (errno != EAGAIN && errno != EINTR) { connections[i].reader.ended = true }
                        return
                    }
                    connections[i].buffer += chunk[..<n]
                    parse(&connections[i], arrival: now)
                }
            }
        }
        done.signal()
    }

    private func parse(_ c: inout Connection, arrival: UInt64) {
        let b = c.buffer
        var start = 0
        if !c.headDone {
            guard let end = Self.find([13, 10, 13, 10], in: b, from: 0) else { return }
            let statusLine = String(decoding: b[..<end], as: UTF8.self).split(separator: " ")
            c.reader.status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
            c.headDone = true
            start = end + 4
        }
        while let end = Self.find([10, 10], in: b, from: max(start, c.scanned)) {
            if let l = frame(b[start..<end], into: &c.reader, arrival: arrival) { c.latencies.append(l) }
            start = end + 2
        }
        c.buffer.removeFirst(start)
        c.scanned = max(0, c.buffer.count - 1)
    }

    /// Counts one frame; returns its latency when measured (every `measureEvery`-th event).
    private func frame(_ f: ArraySlice<UInt8>, into r: inout Reader, arrival: UInt64) -> Double? {
        guard f.starts(with: Self.idPrefix) else {
            if let notice = ServerSentEvents.parse(f) { r.notices.append((notice.event, notice.data)) }  // else a keep-alive
            return nil
        }
        var id: Int64 = 0
        var i = f.startIndex + Self.idPrefix.count
        while i < f.endIndex, f[i] != 10 { id = id &* 10 &+ Int64(f[i] &- 48); i += 1 }
        if r.lastID >= 0, id != r.lastID + 1 { r.gaps += 1 }
        if r.firstID < 0 { r.firstID = id }
        r.lastID = id
        r.frames += 1
        guard r.frames % measureEvery == 0,
              let data = f[i...].firstRange(of: Self.dataPrefix) else { return nil }
        return latency(id, arrival, f[data.upperBound...])
    }

    private static let dataPrefix = Array("\ndata: ".utf8)
    private static let idPrefix = Array("id: ".utf8)

    /// Where `needle` first occurs in `b` at or after `from` (memchr for its first byte, then a compare).
    private static func find(_ needle: [UInt8], in b: [UInt8], from: Int) -> Int? {
        b.withUnsafeBytes { hay -> Int? in
            var i = from
            while i + needle.count <= hay.count {
                guard let hit = memchr(hay.baseAddress! + i, Int32(needle[0]), hay.count - i - needle.count + 1) else { return nil }
                let at = UnsafeRawPointer(hit) - hay.baseAddress!
                if memcmp(hit, needle, needle.count) == 0 { return at }
                i = at + 1
            }
            return nil
        }
    }

    struct PoolError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
