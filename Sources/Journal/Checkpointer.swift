import CSQLite
import Foundation
import Synchronization
import WorkerThreads

/// Copies the WAL back into the database file, on its own connection and worker thread, in PASSIVE
/// mode and at most once a second after writes: a commit never waits for a checkpoint, and the WAL is
/// cut back to 16 MB once checkpointed.
final class Checkpointer: @unchecked Sendable {
    let worker = WorkerThread(name: "journal-checkpoint")
    /// Used on `worker` only.
    private let connection: SQLiteConnection?
    private let last = Mutex(ContinuousClock.now - .seconds(1))

    init(path: String) {
        connection = try? SQLiteConnection(path: path)
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
        worker.submit { [weak self] in
            try? self?.connection?.exec("PRAGMA journal_size_limit=16777216; PRAGMA wal_checkpoint(PASSIVE)")
        }
    }
}
