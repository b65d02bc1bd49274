import Foundation
import Logging
import WorkerThreads
import VicinotifyCore

/// The durable heart of the pipeline, one SQLite file (WAL, `synchronous=FULL`) under `state_dir`.
///
/// A poll's events and the changed rows of its source's snapshot commit in one transaction before any
/// sink sees them. Each sink reads the journal through its own cursor and keeps its retry state and dead
/// letters here, so a restart neither repeats a change nor misses one, and a backlog lives on disk.
/// Every SQLite call runs on the journal's own thread, never on Swift's cooperative pool.
public actor Journal {
    let executor: WorkerThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let db: SQLiteConnection
    let checkpointer: Checkpointer
    /// Applies a poll's changes to its snapshot blocks while the journal thread inserts its events.
    let snapshotWorker = WorkerThread(name: "journal-snapshot")
    /// Told of each commit's rows with their positions, in position order, on the journal's thread.
    var commitObserver: (@Sendable (JournalCommit) -> Void)?
    /// The feed made by `feed()`, while anyone holds it.
    weak var currentFeed: JournalFeed?
    public nonisolated let path: String

    /// Opens (creating if needed) `directory/journal.sqlite`.
    /// - Parameter maxBytes: a cap on the file's size; reaching it is a full disk (`JournalError.isDiskFull`).
    /// - Parameter logger: where the journal's background work (checkpoints) says what failed.
    public init(directory: String, maxBytes: Int? = nil,
                logger: Logger = Logger(label: "journal", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
            throw JournalError(code: 14, message: "cannot create the state directory \(directory): \(posix ?? error.localizedDescription)")
        }
        path = (directory as NSString).appendingPathComponent("journal.sqlite")
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0,
           ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int ?? 0) == 0 {
            // Starting afresh would announce every agent again and restart every sequence.
            throw JournalError(code: 26, message: "\(path) is empty (0 bytes): it was truncated or replaced. Restore it, "
                               + "or move it away to start a new journal (event sequences then start again at 1)")
        }
        executor = WorkerThread(name: "journal")
        db = try SQLiteConnection(path: path)
        try db.exec("""
            PRAGMA page_size=16384;  -- on a new file: fewer, larger writes for ~1 KB events
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            PRAGMA wal_autocheckpoint=0;  -- the Checkpointer does it, off the commit path
            PRAGMA journal_size_limit=16777216;  -- a WAL that was checkpointed is cut back to 16 MB
            CREATE TABLE IF NOT EXISTS events(
              position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, source TEXT NOT NULL,
              sequence INTEGER NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL, campaign_id TEXT NOT NULL,
              user_group TEXT NOT NULL, time_ms INTEGER NOT NULL, json BLOB NOT NULL,
              only_sink TEXT);  -- set on copies made by replay and dead-letter retry
            -- No secondary indexes: each would cost every commit, and only replay (rare, bounded by the
            -- retained tail) searches by time or sequence.
            CREATE TABLE IF NOT EXISTS sources(name TEXT PRIMARY KEY, last_sequence INTEGER NOT NULL);
            -- Each source's logged-in agents in SnapshotBlock.count blobs by a hash of the user: a poll
            -- rewrites the blocks it touched, not one row per changed agent (10,000 upserts cost ~25 ms).
            CREATE TABLE IF NOT EXISTS snapshot_blocks(
              source TEXT NOT NULL, block INTEGER NOT NULL, agents BLOB NOT NULL,
              PRIMARY KEY(source, block)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS cursors(sink TEXT PRIMARY KEY, position INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS retries(
              sink TEXT NOT NULL, position INTEGER NOT NULL, attempts INTEGER NOT NULL, first_attempt_ms INTEGER NOT NULL,
              next_attempt_ms INTEGER NOT NULL, last_error TEXT NOT NULL, PRIMARY KEY(sink, position)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS dead_letters(
              sink TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL,
              sequence INTEGER NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL, campaign_id TEXT NOT NULL,
              user_group TEXT NOT NULL, time_ms INTEGER NOT NULL, json BLOB NOT NULL, attempts INTEGER NOT NULL,
              last_error TEXT NOT NULL, dead_at_ms INTEGER NOT NULL, PRIMARY KEY(sink, position));
            """)
        let check = try db.prepare("PRAGMA quick_check")
        if try check.step(), check.text(0) != "ok" {
            throw JournalError(code: 11, message: "\(path) is damaged (\(check.text(0).prefix(200))): restore it, or move it away")
        }
        try check.reset()
        try Self.migrateAgentRows(db)
        if let maxBytes { try db.exec("PRAGMA max_page_count = \(max(1, maxBytes / 16384))") }
        checkpointer = Checkpointer(path: path, logger: logger)
    }

    deinit {
        executor.shutdown()
        snapshotWorker.shutdown()
    }

    /// The threads this journal runs on, for tests that check none outlives it.
    nonisolated var workers: [WorkerThread] { [executor, snapshotWorker, checkpointer.worker] }

    /// Calls `observer` after each commit with its rows and their positions, in position order. It runs
    /// on the journal's thread: it must not block. `JournalFeed` is the one observer.
    public func observeCommits(_ observer: @escaping @Sendable (JournalCommit) -> Void) { commitObserver = observer }
}
