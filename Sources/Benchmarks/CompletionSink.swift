import Synchronization
import VicinotifyCore

/// Passes batches to `inner` and signals once `target` events were delivered.
final class CompletionSink: EventSink {
    let inner: any EventSink
    let target: Int
    let name: String
    private let state = Mutex<(delivered: Int, waiter: CheckedContinuation<Void, Never>?, done: Bool)>((0, nil, false))

    /// - Parameter name: the queue's name for it; by default the inner sink's.
    init(inner: any EventSink, target: Int, name: String? = nil) {
        self.inner = inner
        self.target = target
        self.name = name ?? inner.name
    }

    var batching: SinkBatching { inner.batching }
    var filter: EventFilter { inner.filter }
    func close() async { await inner.close() }

    func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        let outcomes = await inner.deliver(batch)
        let n = outcomes.filter { $0 == .delivered }.count
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.delivered += n
            guard s.delivered >= target else { return nil }
            s.done = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
        return outcomes
    }

    func finished() async {
        await withCheckedContinuation { c in
            let now = state.withLock { s -> Bool in
                if s.done { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
    }
}
