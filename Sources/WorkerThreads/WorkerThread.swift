import Foundation
import Synchronization

/// A thread of its own for blocking calls (SQLite, libpq, `write(2)`), so they never occupy Swift's
/// cooperative pool: jobs run one at a time, in order. It is also a `SerialExecutor`, so an actor can
/// run on it. The one way vicinotify runs blocking work.
///
/// Its owner calls `shutdown()` when it goes away: the thread finishes the jobs already queued and ends,
/// so no thread outlives its owner.
public final class WorkerThread: SerialExecutor, @unchecked Sendable {
    private enum Job {
        case actor(UnownedJob)
        case block(@Sendable () -> Void)
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []  // guarded by `condition`
    private var stopping = false  // guarded by `condition`
    private var ended = false  // guarded by `condition`

    private static let live = Mutex(0)
    private static let liveChanged = NSCondition()

    public init(name: String) {
        Self.live.withLock { $0 += 1 }
        let thread = Thread { [self] in
            Thread.current.name = name  // set from inside: Foundation names the OS thread only then (top -H, traces)
            loop()
            condition.lock()
            ended = true
            condition.broadcast()
            condition.unlock()
            Self.liveChanged.lock()
            Self.live.withLock { $0 -= 1 }
            Self.liveChanged.broadcast()
            Self.liveChanged.unlock()
        }
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) { add(.actor(UnownedJob(job))) }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    /// Runs `body` on the thread, after the jobs queued before it.
    public func submit(_ body: @escaping @Sendable () -> Void) { add(.block(body)) }

    /// Runs `body` on the thread and returns its result to the caller, who waits without blocking a thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in submit { c.resume(returning: body()) } }
    }

    /// Lets the thread finish what is queued and end. Jobs submitted later still run first.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Waits (blocking, up to `timeout` seconds) until the thread has ended; for tests.
    public func waitUntilEnded(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !ended {
            if !condition.wait(until: deadline) { return ended }
        }
        return true
    }

    /// Worker threads running in this process.
    public static var liveCount: Int { live.withLock { $0 } }

    /// Waits (blocking, up to `timeout` seconds) until at most `count` worker threads run; for tests.
    public static func waitForLiveCount(atMost count: Int, timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        liveChanged.lock()
        defer { liveChanged.unlock() }
        while liveCount > count {
            if !liveChanged.wait(until: deadline) { return liveCount <= count }
        }
        return true
    }

    private func add(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs = []
            condition.unlock()
            for job in batch {
                switch job {
                case .actor(let j): j.runSynchronously(on: asUnownedSerialExecutor())
                case .block(let body): body()
                }
            }
        }
    }
}
