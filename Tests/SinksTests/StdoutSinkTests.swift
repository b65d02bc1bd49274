import Foundation
import Sinks
import Synchronization
import Testing
import VicinotifyCore

@Suite struct StdoutSinkTests {
    /// One event whose JSON line is `size` bytes long with its newline.
    static func event(_ n: Int, size: Int) -> EncodedEvent {
        let json = Array("{\"n\":\(n),\"pad\":\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: size - 20) + Array("\"}".utf8)
        return EncodedEvent(id: "e\(n)", sequence: UInt64(n), type: .statusChanged, subject: "agent\(n)", sourceName: "src",
                            campaignID: "", userGroup: "", time: Timestamp(millisecondsSince1970: 1_795_500_000_000), json: json)
    }

    @Test func readersThatStopReadingHoldNoCooperativeThread() async throws {
        // Three sinks whose readers do not read, each handed more than its pipe holds: their writes block
        // until the reader reads. On the cooperative pool (2 threads here) they would leave no thread for
        // anything else, this test included.
        let batch = (0..<400).map { Self.event($0, size: 1000) }
        let expected = batch.reduce(0) { $0 + $1.json.count + 1 }
        var pipes: [[Int32]] = []
        for _ in 0..<3 {
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            #expect(expected > fcntl(fds[1], Self.getPipeSize), "a batch is more than the pipe holds")
            pipes.append(fds)
        }
        // If the pool is starved after all, the watchdog reads the pipes after 20 s so the test can fail.
        let readEnds = pipes.map { $0[0] }
        let watchdog = Watchdog(seconds: 20) { for fd in readEnds { Thread.detachNewThread { _ = Self.readBytes(fd, count: expected) } } }
        defer { for fds in pipes { close(fds[0]); close(fds[1]) } }
        let deliveries = pipes.map { fds in
            let sink = StdoutSink(fileDescriptor: fds[1])
            return Task { await sink.deliver(batch) }
        }
        let answer = await Task { "the pool still runs tasks" }.value
        #expect(answer == "the pool still runs tasks")
        guard !watchdog.stop() else {
            Issue.record("nothing else ran while the sinks were blocked")
            for d in deliveries { _ = await d.value }
            return
        }

        // The readers read: every line arrives whole and every event is delivered.
        let readers = pipes.map { fds in Task { await Self.readAll(fds[0], count: expected) } }
        for d in deliveries { #expect(await d.value.allSatisfy { $0 == .delivered }) }
        for r in readers {
            let bytes = await r.value
            #expect(bytes.count == expected)
            #expect(bytes.split(separator: UInt8(ascii: "\n")).count == batch.count)
        }
    }

    /// `F_GETPIPE_SZ` (Linux: `F_LINUX_SPECIFIC_BASE + 8`), which Glibc's module does not export.
    static let getPipeSize: Int32 = 1032

    /// Runs `action` on a thread of its own unless stopped within `seconds`.
    final class Watchdog: Sendable {
        private let stopped = DispatchSemaphore(value: 0)
        private let fired = Mutex(false)

        init(seconds: Double, action: @escaping @Sendable () -> Void) {
            Thread.detachNewThread { [self] in
                guard stopped.wait(timeout: .now() + seconds) == .timedOut else { return }
                fired.withLock { $0 = true }
                action()
            }
        }

        /// Stops the watchdog; returns whether it had already fired.
        func stop() -> Bool {
            stopped.signal()
            return fired.withLock { $0 }
        }
    }

    /// Reads `count` bytes from `fd` (fewer if it ends first).
    static func readBytes(_ fd: Int32, count: Int) -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while all.count < count, case let n = read(fd, &buffer, buffer.count), n > 0 { all += buffer[..<n] }
        return all
    }

    /// `readBytes` on a thread of its own.
    static func readAll(_ fd: Int32, count: Int) async -> [UInt8] {
        await withCheckedContinuation { c in
            Thread { c.resume(returning: readBytes(fd, count: count)) }.start()
        }
    }
}
