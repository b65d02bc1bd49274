import HandOverTrace
import Synchronization
import VicinotifyCore

/// The one feed of the journal's commits. A subscriber names the position it has and the sink it reads
/// for; `take` gives it the backlog from the journal, then each commit's events from memory as they are
/// committed: in position order, the same bytes, with no second read of what was just written. A
/// subscriber that falls more than `bufferEvents` behind the live feed, or whose journal another process
/// wrote to (`replay`, `dead-letters retry`), reads the journal again until it has caught up: never a gap.
///
/// The journal calls `publish` after each commit, on its own thread; `listeners` (the SSE hub) get each
/// commit's events for every sink the same way.
public final class JournalFeed: Sendable {
    public let journal: Journal
    public let bufferEvents: Int
    private let subscriptions = Mutex<[ObjectIdentifier: Subscription]>([:])
    private let listeners = Mutex<[@Sendable ([JournaledEvent]) -> Void]>([])
    /// The last position the feed has published (or found at start): a commit that does not follow it was
    /// preceded by another process's.
    private let published: Atomic<Int64>

    /// Made by `Journal.feed()`, which tells it of every commit from `published` on.
    init(journal: Journal, published: Int64, bufferEvents: Int) {
        self.journal = journal
        self.bufferEvents = bufferEvents
        self.published = Atomic(published)
    }

    /// Also hands every commit to `listener`, on the journal's thread; it must not block.
    public func listen(_ listener: @escaping @Sendable ([JournaledEvent]) -> Void) { listeners.withLock { $0.append(listener) } }

    /// A feed for `sink` (or for readers of every sink's events: `nil`) from after `position`.
    /// - Parameter wake: called (on the journal's thread) when new events may be taken.
    public func subscribe(sink: String?, after position: Int64, wake: @escaping @Sendable () -> Void) -> Subscription {
        let s = Subscription(feed: self, sink: sink, position: position, wake: wake)
        subscriptions.withLock { $0[ObjectIdentifier(s)] = s }
        return s
    }

    func remove(_ s: Subscription) { _ = subscriptions.withLock { $0.removeValue(forKey: ObjectIdentifier(s)) } }

    /// One commit (the journal's observer).
    func publish(_ commit: JournalCommit) {
        guard !commit.rows.isEmpty else { return }
        HandOverTrace.mark("feed.publish")
        // Rows between the last publication and this one were written by another process.
        let contiguous = published.exchange(commit.last, ordering: .relaxed) == commit.first - 1
        for s in subscriptions.withLock({ Array($0.values) }) { s.offer(commit, contiguous: contiguous) }
        let shared = commit.shared
        if !shared.isEmpty { for l in listeners.withLock({ $0 }) { l(shared) } }
    }

    /// One subscriber's view of the feed.
    public final class Subscription: Sendable {
        private struct State {
            /// Everything at or below it was taken.
            var position: Int64
            /// Events after `position` for this sink, from memory, when `live`.
            var buffer: [JournaledEvent] = []
            /// The last position the buffer accounts for: commits up to it are in it (or not for this sink).
            var bufferThrough: Int64
            /// The buffer holds everything after `position`; otherwise the journal is read.
            var live = false
            /// Buffered commits that started after this position were published without a gap.
            var bufferFrom: Int64
            var takenFromJournal: ContinuousClock.Instant?
        }
        private let feed: JournalFeed
        public let sink: String?
        private let wake: @Sendable () -> Void
        private let state: Mutex<State>

        init(feed: JournalFeed, sink: String?, position: Int64, wake: @escaping @Sendable () -> Void) {
            self.feed = feed
            self.sink = sink
            self.wake = wake
            let end = feed.published.load(ordering: .relaxed)
            state = Mutex(State(position: position, bufferThrough: end, bufferFrom: end))
        }

        /// Stops the feed for this subscriber (the feed holds it until then).
        public func cancel() { feed.remove(self) }

        func offer(_ commit: JournalCommit, contiguous: Bool) {
            let limit = feed.bufferEvents
            state.withLock { s in
                if !contiguous || s.bufferThrough != commit.first - 1 || s.buffer.count >= limit {
                    // A gap (another process wrote, or this subscriber is too far behind): start a new complete run.
                    s.buffer = []
                    s.live = false
                    s.bufferFrom = commit.first - 1
                }
                for row in commit.rows where row.event.position > s.position && (row.sink == nil || row.sink == sink) {
                    s.buffer.append(row.event)
                }
                s.bufferThrough = commit.last
            }
            wake()
        }

        /// The next events after the last ones taken (at most `limit`), and the position taken through (past
        /// events for other sinks). From memory when live; from the journal when behind, and at least once a
        /// second when idle, for rows other processes wrote.
        public func take(limit: Int) async throws -> (events: [JournaledEvent], through: Int64) {
            let now = ContinuousClock.now
            let fromMemory = state.withLock { s -> (events: [JournaledEvent], through: Int64)? in
                let idle = s.buffer.isEmpty && (s.takenFromJournal.map { now - $0 > .seconds(1) } ?? true)
                guard s.live, !idle else { return nil }
                let n = min(limit, s.buffer.count)
                let events = Array(s.buffer.prefix(n))
                s.buffer.removeFirst(n)
                s.position = s.buffer.isEmpty ? s.bufferThrough : events.last!.position
                return (events, s.position)
            }
            if let fromMemory { return fromMemory }
            let start = state.withLock { $0.position }
            let read = try await feed.journal.pending(for: sink, after: start, limit: limit)
            state.withLock { s in
                s.takenFromJournal = now
                guard s.position == start else { return }  // taken meanwhile: this read is stale
                s.position = read.through
                s.buffer.removeAll { $0.position <= read.through }
                // Caught up with a complete run of the live feed: memory from here on.
                s.live = read.through >= s.bufferFrom && read.through <= s.bufferThrough
                if read.through > s.bufferThrough { s.bufferThrough = read.through }
            }
            return read
        }
    }
}

extension Journal {
    /// The journal's one feed, made on first use and kept while anyone holds it.
    public func feed(bufferEvents: Int = 10_000) throws -> JournalFeed {
        if let feed = currentFeed { return feed }
        let feed = JournalFeed(journal: self, published: try lastPosition(), bufferEvents: bufferEvents)
        commitObserver = { [weak feed] commit in feed?.publish(commit) }
        currentFeed = feed
        return feed
    }
}
