import Foundation
import VicinotifyCore

/// A sink that keeps what it is given and lets a test await a condition on it, instead of sleeping.
public actor RecordingSink: EventSink {
    public nonisolated let name: String
    public private(set) var events: [EncodedEvent] = []
    private var waiters: [Int: (check: @Sendable ([EncodedEvent]) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var nextWaiter = 0

    public init(name: String = "recording") { self.name = name }

    public func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        events += batch
        for (id, w) in waiters where w.check(events) {
            waiters[id] = nil
            w.continuation.resume(returning: true)
        }
        return Array(repeating: .delivered, count: batch.count)
    }

    /// Waits until `condition` holds for the recorded events; false if `timeout` seconds pass first.
    public func wait(timeout: Double = 10, until condition: @escaping @Sendable ([EncodedEvent]) -> Bool) async -> Bool {
        if condition(events) { return true }
        nextWaiter += 1
        let id = nextWaiter
        return await withCheckedContinuation { c in
            waiters[id] = (condition, c)
            Task {
                try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
                self.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: false)
    }

}


extension Array where Element == EncodedEvent {
    /// The events decoded as JSON objects.
    public var jsonObjects: [[String: Any]] {
        compactMap { (try? JSONSerialization.jsonObject(with: Data($0.json))) as? [String: Any] }
    }
}
