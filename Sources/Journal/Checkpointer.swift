import CSQLite
import Foundation
import Logging
import Synchronization
import WorkerThreads

/// Copies the WAL back into the database file, on its own connection and worker thread, in PASSIVE
/// mode and at most once a second after writes: a commit never waits for a checkpoint, and the WAL is
/// cut back to 16 MB once checkpointed. A failure is logged when it is new, and its end once: until a
/// checkpoint succeeds the WAL keeps growing.
final class Checkpointer: @unchecked Sendable {
    let worker = WorkerThread(name: "journal-checkpoint")
    /// Used on `worker` only.
    private let connection: SQLiteConnection?
    private let last = Mutex(ContinuousClock.now - .seconds(1))
    private let logger: Logger
    /// The last failure logged; used on `worker` only.
    private var failing: String?

    init(path: String, logger: Logger) {
        self.logger = logger
        do {
            connection = try SQLiteConnection(path: path)
        } catch {
            connection = nil
            logger.error("journal: cannot open the checkpoint connection; the write-ahead log is copied back only at exit",
                         metadata: ["error": "\(error)"])
        }
    }

    deinit { worker.shutdown() }

    /// The journal was written: checkpoint soon, unless one ran less than a second ago.
    func poke() {
        let due = last.withLock { last -> Bool in
            guard ContinuousClock.now - last >= .seconds(1) else { return false }
            last = .now
            return true
        }
        guard due else { return }
        worker.submit { [weak self] in self?.checkpoint() }
    }

    /// On `worker`.
    private func checkpoint() {
        guard let connection else { return }
        do {
            try connection.exec("PRAGMA journal_size_limit=16777216; PRAGMA wal_checkpoint(PASSIVE)")
            if failing != nil { logger.notice("journal: checkpoints work again") }
            failing = nil
        } catch {
            let message = "\(error)"
            if failing != message { logger.error("journal: checkpoint failed; the write-ahead log grows until one works", metadata: ["error": "\(message)"]) }
            failing = message
        }
    }
}
