import Logging
import Synchronization

/// A log handler that keeps every rendered line, to assert on what would have been logged, and to
/// await a line.
public final class CapturedLogs: Sendable {
    private struct State {
        var lines: [String] = []
        var waiters: [(id: Int, check: @Sendable ([String]) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in Handler(sink: self) }
        logger.logLevel = level
        return logger
    }

    public var all: [String] { state.withLock { $0.lines } }
    public var text: String { all.joined(separator: "\n") }

    /// Returns true once the lines satisfy `condition`, false after `timeout` seconds.
    public func wait(timeout: Double = 10, until condition: @escaping @Sendable ([String]) -> Bool) async -> Bool {
        let id = state.withLock { s -> Int in s.nextID += 1; return s.nextID }
        let expiry = Task {
            try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
            self.finish(id, false)
        }
        defer { expiry.cancel() }
        return await withCheckedContinuation { c in
            let now = state.withLock { s -> Bool in
                if condition(s.lines) { return true }
                s.waiters.append((id, condition, c))
                return false
            }
            if now { c.resume(returning: true) }
        }
    }

    private func finish(_ id: Int, _ value: Bool) {
        let c = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i).continuation
        }
        c?.resume(returning: value)
    }

    fileprivate func append(_ line: String) {
        let ready = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.lines.append(line)
            var out: [CheckedContinuation<Bool, Never>] = []
            s.waiters.removeAll { w in
                guard w.check(s.lines) else { return false }
                out.append(w.continuation)
                return true
            }
            return out
        }
        for c in ready { c.resume(returning: true) }
    }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.append("\(event.level) \(event.message) \(rendered)")
        }
    }
}
