import Dispatch

/// Snapshot blocks being rewritten on the snapshot worker: new bytes by block index (`nil`: damaged).
final class PendingSnapshot: @unchecked Sendable {
    let source: String
    private let ready = DispatchSemaphore(value: 0)
    private var blocks: [(index: Int, bytes: [UInt8]?)] = []  // written before `ready` is signalled

    init(source: String) { self.source = source }

    func finish(_ blocks: [(index: Int, bytes: [UInt8]?)]) {
        self.blocks = blocks
        ready.signal()
    }

    func wait() -> [(index: Int, bytes: [UInt8]?)] {
        ready.wait()
        return blocks
    }
}
