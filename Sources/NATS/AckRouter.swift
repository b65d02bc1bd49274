import CNats
import Synchronization

/// Hands JetStream's publish acknowledgments, which libnats delivers on its own thread, to the tasks
/// awaiting them, by message id. An id nobody awaits any more (given up after a timeout) is dropped.
final class AckRouter: Sendable {
    typealias Outcome = Result<UInt64, NATSError>

    /// One `publish` call's messages: their outcomes as they come, and the task to resume after the last.
    final class Batch: @unchecked Sendable {
        var outcomes: [Outcome?]
        var remaining: Int
        let continuation: CheckedContinuation<[Outcome], Never>

        init(count: Int, continuation: CheckedContinuation<[Outcome], Never>) {
            outcomes = Array(repeating: nil, count: count)
            remaining = count
            self.continuation = continuation
        }
    }

    /// Guards every `Batch` too.
    private let waiting = Mutex<[String: (batch: Batch, index: Int)]>([:])

    /// Registers `ids` (one call's messages), runs `publish`, and returns once every id is resolved.
    func await(_ ids: [String], publish: @escaping @Sendable () -> Void) async -> [Outcome] {
        guard !ids.isEmpty else { return [] }
        return await withCheckedContinuation { c in
            let batch = Batch(count: ids.count, continuation: c)
            waiting.withLock { w in for (i, id) in ids.enumerated() { w[id] = (batch, i) } }
            publish()
        }
    }

    /// Records the outcome of `id`, if it is still awaited; resumes its call after its last message.
    func resolve(_ id: String, _ outcome: Outcome) {
        let finished = waiting.withLock { w -> Batch? in
            guard let (batch, i) = w.removeValue(forKey: id) else { return nil }
            batch.outcomes[i] = outcome
            batch.remaining -= 1
            return batch.remaining == 0 ? batch : nil
        }
        finished?.continuation.resume(returning: finished!.outcomes.map { $0! })
    }

    /// Resolves every id of `ids` still awaited with `error`.
    func expire(_ ids: [String], _ error: NATSError) {
        for id in ids { resolve(id, .failure(error)) }
    }

    /// libnats' `jsPubAckHandler`: called on the library's thread for each acknowledged (or refused) message;
    /// its closure is the connection's `EventBox`.
    static let ackHandler: jsPubAckHandler = { _, msg, ack, ackError, closure in
        defer { natsMsg_Destroy(msg) }
        guard let closure, let msg else { return }
        let router = Unmanaged<EventBox>.fromOpaque(closure).takeUnretainedValue().router
        var value: UnsafePointer<CChar>?
        guard natsMsgHeader_Get(msg, "Nats-Msg-Id", &value) == NATS_OK, let value else { return }
        let id = String(cString: value)
        if let ack {
            router.resolve(id, .success(ack.pointee.Sequence))
        } else if let e = ackError?.pointee {
            let text = e.ErrText.map { String(cString: $0) } ?? String(cString: natsStatus_GetText(e.Err))
            router.resolve(id, .failure(NATSError(status: e.Err.rawValue, jetStreamCode: Int(e.ErrCode.rawValue),
                                                  message: "JetStream refused the message: \(text)")))
        }
    }
}
