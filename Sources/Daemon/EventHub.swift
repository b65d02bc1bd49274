import Journal
import NIOCore
import Synchronization
import VicinotifyCore

/// Hands each committed event to every live reader of `/v1/events`, in journal order, framed for SSE once
/// and shared: a reader's buffer holds references, not copies. A reader has a bounded buffer; one that
/// falls further behind is cut off (`overflowed`), so it never slows the journal, the poller, a sink or
/// another reader.
public final class EventHub: Sendable {
    /// A committed event with its Server-Sent Events frame.
    public struct Frame: Sendable {
        public var event: JournaledEvent
        public var bytes: ByteBuffer

        public init(_ event: JournaledEvent) {
            self.event = event
            bytes = ByteBuffer(bytes: EventStream.frame(event))
        }
    }

    /// One reader's live feed.
    public final class Subscription: Sendable {
        public let events: AsyncStream<Frame>
        let continuation: AsyncStream<Frame>.Continuation
        /// Ends when the feed does: the reader left, or overflowed.
        let ended: AsyncStream<Void>
        private let endedContinuation: AsyncStream<Void>.Continuation
        private let dropped = Atomic<Bool>(false)
        /// The buffer filled up: the stream ended early and the reader must resume from its last id.
        public var overflowed: Bool { dropped.load(ordering: .relaxed) }

        init(limit: Int) {
            (events, continuation) = AsyncStream.makeStream(of: Frame.self, bufferingPolicy: .bufferingOldest(limit))
            (ended, endedContinuation) = AsyncStream.makeStream(of: Void.self)
        }

        func offer(_ frame: Frame) -> Bool {
            if case .dropped = continuation.yield(frame) {
                dropped.store(true, ordering: .relaxed)
                finish()
                return false
            }
            return true
        }

        func finish() {
            continuation.finish()
            endedContinuation.finish()
        }
    }

    private let subscribers = Mutex<[ObjectIdentifier: Subscription]>([:])
    private let cutOff = Atomic<Int>(0)
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
        s.finish()
    }

    /// Called with each commit's events, in position order.
    public func publish(_ events: [JournaledEvent]) {
        let all = subscribers.withLock { Array($0.values) }
        guard !all.isEmpty else { return }
        let frames = events.map(Frame.init)
        for s in all {
            for f in frames where !s.offer(f) {
                cutOff.add(1, ordering: .relaxed)
                unsubscribe(s)
                break
            }
        }
    }

    public var readers: Int { subscribers.withLock { $0.count } }
    /// Readers cut off for falling behind, since start.
    public var overflows: Int { cutOff.load(ordering: .relaxed) }
}
