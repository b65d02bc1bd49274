import Foundation
import VicinotifyCore

/// A sink that keeps what it delivers and lets a test await a condition on it, instead of sleeping.
/// A `behaviour` scripts each attempt's outcome (by event and attempt number, from 1); `hang` makes
/// every delivery wait until cancelled, like a dead endpoint without a timeout.
public actor RecordingSink: EventSink {
    public typealias Behaviour = @Sendable (_ event: EncodedEvent, _ attempt: Int) -> DeliveryOutcome
    public nonisolated let name: String
    private let behaviour: Behaviour
    private let hang: Bool
    /// Delivered events, in delivery order.
    public private(set) var events: [EncodedEvent] = []
    /// Attempts per event id, failed ones included.
    public private(set) var attempts: [String: Int] = [:]
    private var waiters: [Int: (check: @Sendable ([EncodedEvent], [String: Int]) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var nextWaiter = 0

    public init(name: String = "recording", hang: Bool = false, behaviour: @escaping Behaviour = { _, _ in .delivered }) {
        self.name = name
        self.hang = hang
        self.behaviour = behaviour
    }

    public func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        if hang {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return batch.map { _ in .retry(reason: "cancelled", after: nil) }
        }
        var outcomes: [DeliveryOutcome] = []
        for e in batch {
            attempts[e.id, default: 0] += 1
            let outcome = behaviour(e, attempts[e.id]!)
            if outcome == .delivered { events.append(e) }
            outcomes.append(outcome)
        }
        EventLog.record(batch.enumerated().filter { outcomes[$0.offset] == .delivered }.map(\.element))
        for (id, w) in waiters where w.check(events, attempts) {
            waiters[id] = nil
            w.continuation.resume(returning: true)
        }
        return outcomes
    }

    /// Waits until `condition` holds for the recorded events; false if `timeout` seconds pass first.
    public func wait(timeout: Double = 10, until condition: @escaping @Sendable ([EncodedEvent]) -> Bool) async -> Bool {
        await wait(timeout: timeout) { events, _ in condition(events) }
    }

    /// Waits until `condition` holds for the attempts made so far (by event id).
    public func waitForAttempts(timeout: Double = 10, until condition: @escaping @Sendable ([String: Int]) -> Bool) async -> Bool {
        await wait(timeout: timeout) { _, attempts in condition(attempts) }
    }

    private func wait(timeout: Double, _ condition: @escaping @Sendable ([EncodedEvent], [String: Int]) -> Bool) async -> Bool {
        if condition(events, attempts) { return true }
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

/// Counts the events its inner sink reports delivered, for a test to await.
public final class CountingSink: EventSink {
    public let inner: any EventSink
    public let delivered = Awaitable(0)
    public var name: String { inner.name }
    public var batching: SinkBatching { inner.batching }
    public var filter: EventFilter { inner.filter }
    public func close() async { await inner.close() }

    public init(_ inner: any EventSink) { self.inner = inner }

    public func deliver(_ batch: [EncodedEvent]) async -> [DeliveryOutcome] {
        let outcomes = await inner.deliver(batch)
        delivered.update { $0 += outcomes.filter { $0 == .delivered }.count }
        return outcomes
    }
}

extension EncodedEvent {
    /// The event's `data`, decoded.
    public var data: [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any])?["data"] as? [String: Any] ?? [:]
    }
}

extension Array where Element == EncodedEvent {
    /// The events decoded as JSON objects.
    public var jsonObjects: [[String: Any]] {
        compactMap { (try? JSONSerialization.jsonObject(with: Data($0.json))) as? [String: Any] }
    }
}
