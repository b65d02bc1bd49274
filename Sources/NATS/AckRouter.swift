import CNats
import Synchronization

/// Hands JetStream's publish acknowledgments, which libnats delivers on its own thread, to the tasks
/// awaiting them, by message id. An id nobody awaits any more (given up after a timeout) is dropped.
final class AckRouter: Sendable {
    typealias Outcome = Result<UInt64, NATSError>
    private let waiting = Mutex<[String: CheckedContinuation<Outcome, Never>]>([:])

    func await(_ id: String, publish: () -> Void) async -> Outcome {
        await withCheckedContinuation { c in
            waiting.withLock { $0[id] = c }
            publish()
        }
    }

    /// Resumes the task awaiting `id`, if one still is.
    func resolve(_ id: String, _ outcome: Outcome) {
        waiting.withLock { $0.removeValue(forKey: id) }?.resume(returning: outcome)
    }

    /// Resumes every task still awaiting one of `ids` with `error`.
    func expire(_ ids: [String], _ error: NATSError) {
        let gone = waiting.withLock { w in ids.compactMap { w.removeValue(forKey: $0) } }
        for c in gone { c.resume(returning: .failure(error)) }
    }

    /// libnats' `jsPubAckHandler`: called on the library's thread for each acknowledged (or refused) message.
    static let ackHandler: jsPubAckHandler = { _, msg, ack, ackError, closure in
        defer { natsMsg_Destroy(msg) }
        guard let closure, let msg else { return }
        let router = Unmanaged<AckRouter>.fromOpaque(closure).takeUnretainedValue()
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
