/// Which queue changes become `vicidial.queue.changed` events. A waiting count that flickers every poll
/// must not flood webhooks: a queue's change goes out at most once per `minInterval`, except that a queue
/// starting or ending to have calls waiting, or running out of ready agents, goes out at once. A change
/// held back goes out at the first poll after the interval, against the last state sent, so the events
/// of a queue always chain (`previous` is the `current` of the one before).
public struct QueueWatch: Sendable {
    public var minInterval: Double
    private var sent: [String: (state: QueueState, at: Timestamp)] = [:]

    public init(minInterval: Double = 5) { self.minInterval = minInterval }

    /// The last state sent of each queue.
    public var states: [QueueState] { sent.values.map(\.state).sorted { $0.subject < $1.subject } }

    /// The changes to send for this poll's `queues`, in queue order.
    public mutating func changes(_ queues: [QueueState], at time: Timestamp) -> [QueueChange] {
        var out: [QueueChange] = []
        for q in queues.sorted(by: { $0.subject < $1.subject }) {
            guard let last = sent[q.subject] else {
                sent[q.subject] = (q, time)
                out.append(QueueChange(previous: nil, current: q, changed: []))
                continue
            }
            let changed = q.changedFigures(from: last.state)
            guard !changed.isEmpty else { continue }
            guard Self.urgent(from: last.state, to: q) || time.seconds(since: last.at) >= minInterval else { continue }
            sent[q.subject] = (q, time)
            out.append(QueueChange(previous: last.state, current: q, changed: changed))
        }
        return out
    }

    /// Calls start or stop waiting, or the ready agents run out or come back: news for routing at once.
    static func urgent(from a: QueueState, to b: QueueState) -> Bool {
        (a.callsWaiting == 0) != (b.callsWaiting == 0) || ((a.agentsReady ?? 1) == 0) != ((b.agentsReady ?? 1) == 0)
    }
}
