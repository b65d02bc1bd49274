import InMemoryLogging
import Logging
import Synchronization

/// swift-log's `InMemoryLogHandler`, with each entry rendered as one line (`level message key=value ...`)
/// to assert on, and a bounded wait for a line to arrive.
public final class CapturedLogs: Sendable {
    private let store = InMemoryLogHandler()
    private let waiters = Mutex<[(id: Int, check: @Sendable ([String]) -> Bool, continuation: CheckedContinuation<Bool, Never>)]>([])
    private let nextID = Atomic<Int>(0)

    public init() {}

    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in Forwarding(logs: self, store: self.store) }
        logger.logLevel = level
        return logger
    }

    /// Every entry so far, rendered.
    public var all: [String] {
        store.entries.map { e in
            let rendered = e.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(e.level) \(e.message) \(rendered)"
        }
    }

    public var text: String { all.joined(separator: "\n") }

    /// Returns true once the lines satisfy `condition`, false after `timeout` seconds.
    public func wait(timeout: Double = 10, until condition: @escaping @Sendable ([String]) -> Bool) async -> Bool {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let expiry = Task {
            try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
            let c = waiters.withLock { w -> CheckedContinuation<Bool, Never>? in
                guard let i = w.firstIndex(where: { $0.id == id }) else { return nil }
                return w.remove(at: i).continuation
            }
            c?.resume(returning: false)
        }
        defer { expiry.cancel() }
        return await withCheckedContinuation { c in
            let lines = all
            if condition(lines) { c.resume(returning: true); return }
            waiters.withLock { $0.append((id, condition, c)) }
            changed()  // a line that arrived between the check and the registration
        }
    }

    fileprivate func changed() {
        guard !waiters.withLock({ $0.isEmpty }) else { return }  // render the lines only for someone waiting
        let lines = all
        let ready = waiters.withLock { w -> [CheckedContinuation<Bool, Never>] in
            var out: [CheckedContinuation<Bool, Never>] = []
            w.removeAll { waiter in
                guard waiter.check(lines) else { return false }
                out.append(waiter.continuation)
                return true
            }
            return out
        }
        for c in ready { c.resume(returning: true) }
    }

    /// Hands each entry to the in-memory store, then wakes waiters.
    private struct Forwarding: LogHandler {
        let logs: CapturedLogs
        var store: InMemoryLogHandler
        var metadata: Logger.Metadata {
            get { store.metadata }
            set { store.metadata = newValue }
        }
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { store[metadataKey: key] }
            set { store[metadataKey: key] = newValue }
        }
        func log(event: LogEvent) {
            store.log(event: event)
            logs.changed()
        }
    }
}
