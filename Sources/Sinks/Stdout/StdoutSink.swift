#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WorkerThreads
import Synchronization
import VicinotifyCore

/// Writes each event as one JSON line to a file descriptor (standard output by default), one `write(2)`
/// per batch so a poll's events reach `jq` together and a line is never split between writes.
///
/// The writes run on a worker thread of their own, never on Swift's cooperative pool: a reader that stops
/// reading (a paused pager, a full pipe) blocks that thread and nothing else.
public final class StdoutSink: EventSink {
    public let name: String
    private let fd: Int32
    private let onClosed: @Sendable () -> Void
    /// Set once the reader is gone; later batches fail at once and stay in the journal.
    private let closed = Atomic<Bool>(false)
    private let writer = WorkerThread(name: "stdout-sink")

    /// - Parameter onClosed: called once when the reader has gone away (`EPIPE`), e.g. `demo | head`.
    public init(name: String = "stdout", fileDescriptor: Int32 = 1, onClosed: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.fd = fileDescriptor
        self.onClosed = onClosed
    }

    deinit { writer.shutdown() }

    public func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        if closed.load(ordering: .relaxed) {
            return Array(repeating: .retry(reason: "standard output is closed", after: nil), count: batch.count)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.reduce(0) { $0 + $1.json.count + 1 })
        for e in batch {
            bytes.append(contentsOf: e.json)
            bytes.append(0x0A)
        }
        let (fd, lines) = (self.fd, bytes)
        let error = await writer.run { Self.writeAll(fd, lines) }
        guard let error else { return Array(repeating: .delivered, count: batch.count) }
        if error == EPIPE, !closed.exchange(true, ordering: .relaxed) { onClosed() }
        let reason = "write to fd \(fd) failed: " + String(cString: strerror(error))
        return Array(repeating: .retry(reason: reason, after: nil), count: batch.count)
    }

    /// Writes everything; returns `errno` on failure.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
    }
}
