import Synchronization

/// When a source last read its queues, so that they are read every `QueueSelection.interval`.
public final class QueueClock: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    public init() {}

    /// Whether the queues are due now; if so, now becomes the last read.
    public func due(_ selection: QueueSelection) -> Bool {
        let now = ContinuousClock.now
        return last.withLock { last in
            guard selection.due(now: now, last: last) else { return false }
            last = now
            return true
        }
    }
}
