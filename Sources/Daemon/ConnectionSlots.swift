import NIOCore
import Synchronization

/// The listener's connection slots, kept from clients that connect and never finish a request.
///
/// A connection is *waiting* from its accept (and again after each answer on a kept-alive connection)
/// until the head of its next request has arrived, and *busy* while it is answered. When every slot is
/// taken, a new connection takes the slot of the connection that has waited longest, so clients that
/// trickle header lines (slowloris) cannot keep `/healthz`, `/metrics` or anyone else out; only when
/// every slot is busy is the new connection closed. A waiting connection is also closed after
/// `headerTimeout`, however slowly it keeps sending.
final class ConnectionSlots: Sendable {
    private struct Entry {
        var channel: any Channel
        /// Since when it waits for a request head; `nil` while busy.
        var waitingSince: NIODeadline?
    }
    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var evicted = 0
    }
    private let state = Mutex(State())
    let capacity: Int
    let headerTimeout: TimeAmount

    init(capacity: Int, headerTimeout: TimeAmount) {
        self.capacity = max(1, capacity)
        self.headerTimeout = headerTimeout
    }

    /// Connections closed to make room for others.
    var evicted: Int { state.withLock { $0.evicted } }

    /// Admits a new connection, closing the longest-waiting one when full. `false`: every slot is busy.
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let (admitted, victim) = state.withLock { s -> (Bool, (any Channel)?) in
            var victim: (any Channel)?
            if s.entries.count >= capacity {
                guard let oldest = s.entries.filter({ $0.value.waitingSince != nil })
                    .min(by: { $0.value.waitingSince! < $1.value.waitingSince! }) else { return (false, nil) }
                s.entries[oldest.key] = nil
                s.evicted += 1
                victim = oldest.value.channel
            }
            s.entries[id] = Entry(channel: channel, waitingSince: .now())
            return (true, victim)
        }
        victim?.close(promise: nil)
        if admitted {
            channel.closeFuture.whenComplete { [weak self] _ in self?.state.withLock { _ = $0.entries.removeValue(forKey: id) } }
            armDeadline(channel)
        }
        return admitted
    }

    /// The head of a request arrived: the connection is busy until `waiting` is called again.
    func busy(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.waitingSince = nil }
    }

    /// An answer is done on a kept-alive connection: it waits for its next request.
    func waiting(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.waitingSince = .now() }
        armDeadline(channel)
    }

    /// Closes `channel` if it is still waiting, since the same moment, `headerTimeout` from now.
    private func armDeadline(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let since = state.withLock { $0.entries[id]?.waitingSince }
        channel.eventLoop.scheduleTask(in: headerTimeout) { [weak self] in
            guard let self, let since, self.state.withLock({ $0.entries[id]?.waitingSince == since }) else { return }
            channel.close(promise: nil)
        }
    }
}
