import Dispatch
import HandOverTrace
import Journal
import NIOCore
import Synchronization
import VicinotifyCore

/// Hands each commit's events to every live reader of `/v1/events`, in journal order, framed for SSE once
/// and shared: every reader writes the same bytes, so a reader costs a reference per commit, not a copy.
/// A reader may fall `bufferEvents` behind; further and it is cut off (`overflowed`), so it never slows the
/// journal, the poller, a sink or another reader.
public final class EventHub: Sendable {
    /// One commit's events and their Server-Sent Events frames, back to back in one buffer.
    public struct Batch: Sendable {
        public var events: [JournaledEvent]
        public var frames: ByteBuffer
        /// Where each event's frame lies in `frames`.
        public var ranges: [Range<Int>]
        /// `DispatchTime` uptime nanoseconds when the hub got the commit: what latency is measured from.
        public var publishedAt: UInt64

        public init(_ events: [JournaledEvent], publishedAt: UInt64 = DispatchTime.now().uptimeNanoseconds) {
            self.events = events
            self.publishedAt = publishedAt
            var bytes: [UInt8] = []
            bytes.reserveCapacity(events.reduce(0) { $0 + $1.event.json.count + 64 })
            ranges = events.map { e in
                let start = bytes.count
                EventStream.appendFrame(e, to: &bytes)
                return start..<bytes.count
            }
            frames = ByteBuffer(bytes: bytes)
        }

        /// The frames of the events after `position` that `filter` lets through, sharing storage when all do.
        public func frames(after position: Int64, matching filter: EventFilter) -> ByteBuffer? {
            let keep = events.indices.filter { events[$0].position > position && filter.matches(events[$0].event) }
            if keep.count == events.count { return frames }
            guard !keep.isEmpty else { return nil }
            var out = ByteBuffer()
            out.reserveCapacity(keep.reduce(0) { $0 + ranges[$1].count })
            for i in keep { out.writeImmutableBuffer(frames.getSlice(at: ranges[i].lowerBound, length: ranges[i].count)!) }
            return out
        }
    }

    /// One reader's live feed.
    public final class Subscription: Sendable {
        public let batches: AsyncStream<Batch>
        let continuation: AsyncStream<Batch>.Continuation
        /// Ends when the feed does: the reader left, or overflowed.
        let ended: AsyncStream<Void>
        private let endedContinuation: AsyncStream<Void>.Continuation
        private let limit: Int
        /// Events handed over and not yet taken (`taken`).
        private let pending = Atomic<Int>(0)
        private let dropped = Atomic<Bool>(false)
        /// The buffer filled up: the stream ended early and the reader must resume from its last id.
        public var overflowed: Bool { dropped.load(ordering: .relaxed) }

        init(limit: Int) {
            self.limit = limit
            (batches, continuation) = AsyncStream.makeStream(of: Batch.self)
            (ended, endedContinuation) = AsyncStream.makeStream(of: Void.self)
        }

        func offer(_ batch: Batch) -> Bool {
            if pending.add(batch.events.count, ordering: .relaxed).newValue > limit {
                dropped.store(true, ordering: .relaxed)
                finish()
                return false
            }
            continuation.yield(batch)
            return true
        }

        /// The reader has written (or skipped) a batch.
        public func taken(_ batch: Batch) { pending.subtract(batch.events.count, ordering: .relaxed) }

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
        guard !all.isEmpty, !events.isEmpty else { return }
        HandOverTrace.mark("hub.publish")
        let batch = Batch(events)
        for s in all where !s.offer(batch) {
            cutOff.add(1, ordering: .relaxed)
            unsubscribe(s)
        }
    }

    public var readers: Int { subscribers.withLock { $0.count } }
    /// Readers cut off for falling behind, since start.
    public var overflows: Int { cutOff.load(ordering: .relaxed) }
}
