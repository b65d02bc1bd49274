import Journal
import Synchronization
import VicinotifyCore

/// Hands each committed event, encoded once, to every live reader of `/v1/events`, in journal order.
/// A reader has a bounded buffer: one that falls further behind is cut off (`overflowed`), so it never
/// slows the journal, the poller, a sink or another reader.
public final class EventHub: Sendable {
    /// One reader's live feed.
    public final class Subscription: Sendable {
        public let events: AsyncStream<JournaledEvent>
        let continuation: AsyncStream<JournaledEvent>.Continuation
        private let dropped = Atomic<Bool>(false)
        /// The buffer filled up: the stream ended early and the reader must resume from its last id.
        public var overflowed: Bool { dropped.load(ordering: .relaxed) }

        init(limit: Int) {
            (events, continuation) = AsyncStream.makeStream(of: JournaledEvent.self, bufferingPolicy: .bufferingOldest(limit))
        }

        func offer(_ event: JournaledEvent) -> Bool {
            if case .dropped = continuation.yield(event) {
                dropped.store(true, ordering: .relaxed)
                continuation.finish()
                return false
            }
            return true
        }
    }

    private let subscribers = Mutex<[ObjectIdentifier: Subscription]>([:])
    public let maxReaders: Int
    public let bufferEvents: Int

    public init(maxReaders: Int = 256, bufferEvents: Int = 10_000) {
        self.maxReaders = maxReaders
        self.bufferEvents = bufferEvents
    }

    /// A new live feed, or `nil` when `maxReaders` read already.
    public func subscribe() -> Subscription? {
        let s = Subscription(limit: bufferEvents)
        let added = subscribers.withLock { all -> Bool in
            guard all.count < maxReaders else { return false }
            all[ObjectIdentifier(s)] = s
            return true
        }
        return added ? s : nil
    }

    public func unsubscribe(_ s: Subscription) {
        _ = subscribers.withLock { $0.removeValue(forKey: ObjectIdentifier(s)) }
        s.continuation.finish()
    }

    /// Called with each commit's events, in position order.
    public func publish(_ events: [JournaledEvent]) {
        let all = subscribers.withLock { Array($0.values) }
        for s in all {
            for e in events where !s.offer(e) {
                unsubscribe(s)
                break
            }
        }
    }

    public var readers: Int { subscribers.withLock { $0.count } }
}
