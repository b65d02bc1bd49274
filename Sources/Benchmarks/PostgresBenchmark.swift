import Delivery
import ArgumentParser
import Foundation
import Journal
import Postgres
import Sinks
import Synchronization
import VicinotifyCore

/// The PostgreSQL sink's events/s from the journal into a local server, per batch size and NOTIFY mode;
/// commit-to-listener latency; and the ratio to `COPY` of the same rows through psql.
struct PostgresBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "PostgreSQL sink events/s at batch 1, 50, 500 per NOTIFY mode, commit-to-listener latency, and the ratio to psql COPY.",
        discussion: """
            Creates and drops its own tables. The password comes from PGPASSWORD or ~/.pgpass.

            Example:
              bash scripts/with-postgres .build/release/vicinotify-bench postgres
            """)

    @Option(help: "conninfo of a database to write to (default: $VICINOTIFY_TEST_POSTGRES, set by scripts/with-postgres).")
    var postgres: String?

    @Option(help: "Events per measurement at batch 50 and 500 (batch 1 uses a tenth).")
    var events = 50_000

    @Option(help: "Distinct agents.")
    var agents = 5_000

    @Option(help: "Events in the latency runs, written as polls of 20 every 5 ms.")
    var latencyEvents = 4_000

    func run() async throws {
        guard let conninfo = postgres ?? ProcessInfo.processInfo.environment["VICINOTIFY_TEST_POSTGRES"] else {
            throw ValidationError("give --postgres CONNINFO, or run under scripts/with-postgres")
        }
        let options = PostgresConnectionOptions(conninfo: conninfo, applicationName: "vicinotify-bench")
        let client = PostgresClient(options)
        let version = try await client.query("SHOW server_version")[0][0] ?? "?"
        print("server: PostgreSQL \(version); fsync \(try await client.query("SHOW fsync")[0][0] ?? "?"), "
              + "synchronous_commit \(try await client.query("SHOW synchronous_commit")[0][0] ?? "?")")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-postgres-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(directory: dir)
        let runs = [1, 50, 500].flatMap { batch in PostgresNotifyMode.allCases.map { (batch: batch, mode: $0) } }
        for r in runs { _ = try await journal.cursor(sink: Self.sinkName(r.batch, r.mode)) }
        let all = try await BenchFloor.fill(journal, events: events, agents: agents, idSeed: 5)
        print("events: \(all.count) over \(agents) agents, \(all[all.count / 2].json.count)-byte events; one table per run")

        var batch500: [PostgresNotifyMode: Double] = [:]
        for run in runs {
            let count = run.batch == 1 ? events / 10 : events
            let table = "vicinotify_bench_\(getpid())_\(run.batch)_\(run.mode.rawValue)"
            let seconds = try await measure(journal: journal, options: options, table: table, batch: run.batch, mode: run.mode, count: count)
            try await client.query("DROP TABLE IF EXISTS \(PostgresIdentifier.quoted(table)) CASCADE")
            if run.batch == 500 { batch500[run.mode] = Double(count) / seconds }
            print(String(format: "batch %3d notify %-5@: %8.0f events/s", run.batch, run.mode.rawValue, Double(count) / seconds))
        }

        let copied = try await copy(Array(all.prefix(events)), options: options, client: client)
        if let copied {
            print(String(format: "psql \\copy of the same %d rows: %8.0f rows/s", events, copied))
            for mode in PostgresNotifyMode.allCases {
                print(String(format: "batch 500 notify %-5@ reaches %.0f%% of COPY", mode.rawValue, (batch500[mode] ?? 0) / copied * 100))
            }
        } else {
            print("psql not found: apt-get install postgresql-client-15 for the COPY comparison")
        }

        for mode in [PostgresNotifyMode.event, .batch] {
            let (p50, p99) = try await latency(options: options, mode: mode)
            print(String(format: "commit to listener, notify %-5@: p50 %.2f ms p99 %.2f ms", mode.rawValue, p50 * 1000, p99 * 1000))
        }
    }

    static func sinkName(_ batch: Int, _ mode: PostgresNotifyMode) -> String { "bench-\(batch)-\(mode.rawValue)" }

    private func sinkConfiguration(_ options: PostgresConnectionOptions, table: String, batch: Int, mode: PostgresNotifyMode)
        -> PostgresSinkConfiguration {
        PostgresSinkConfiguration(connection: options, table: table, channel: "vicinotify_bench", notify: mode,
                                  batchMaxEvents: batch, applySchema: true)
    }

    /// Seconds for the queue to deliver the journal's first `count` events through a new sink.
    private func measure(journal: Journal, options: PostgresConnectionOptions, table: String, batch: Int,
                         mode: PostgresNotifyMode, count: Int) async throws -> Double {
        let sink = PostgresSink(configuration: sinkConfiguration(options, table: table, batch: batch, mode: mode), logger: Bench.quietLogger)
        if let error = await sink.connect() { throw error }
        let done = CompletionSink(inner: sink, target: count, name: Self.sinkName(batch, mode))
        let queue = DeliveryQueue(sink: done, journal: journal, logger: Bench.quietLogger, batchSize: max(500, batch))
        let start = ContinuousClock.now
        let run = Task { await queue.run() }
        await done.finished()
        let elapsed = ContinuousClock.now - start
        run.cancel()
        await run.value
        return elapsed.seconds
    }

    /// Rows/s of `psql -c '\copy … FROM file CSV'` into a fresh table with the same indexes; `nil` without psql.
    private func copy(_ events: [EncodedEvent], options: PostgresConnectionOptions, client: PostgresClient) async throws -> Double? {
        let table = "vicinotify_bench_\(getpid())_copy"
        try await client.withConnection { try $0.execute(script: PostgresSchema.sql(table: table)) }
        defer { Task { try? await client.query("DROP TABLE IF EXISTS \(PostgresIdentifier.quoted(table)) CASCADE") } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-copy-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        var csv: [UInt8] = []
        func field(_ bytes: [UInt8]?) {
            guard let bytes else { return }
            csv.append(UInt8(ascii: "\""))
            for b in bytes {
                if b == UInt8(ascii: "\"") { csv.append(b) }
                csv.append(b)
            }
            csv.append(UInt8(ascii: "\""))
        }
        var row: [[UInt8]?] = []
        for e in events {
            row.removeAll(keepingCapacity: true)
            PostgresSink.appendParameters(of: e, to: &row)
            for (i, value) in row.enumerated() {
                if i > 0 { csv.append(UInt8(ascii: ",")) }
                field(value)
            }
            csv.append(0x0A)
        }
        _ = FileManager.default.createFile(atPath: file, contents: Data(csv))
        let start = ContinuousClock.now
        let command = "\\copy \(PostgresIdentifier.quoted(table)) (\(PostgresSink.columns)) FROM '\(file)' WITH (FORMAT csv)"
        guard let output = try await WebhookBenchmark.output(of: ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", options.conninfo, "-c", command]) else {
            return nil
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let copied = try await client.query("SELECT count(*) FROM \(PostgresIdentifier.quoted(table))")[0][0]
        guard copied == String(events.count) else { throw ValidationError("COPY loaded \(copied ?? "?") rows: \(output)") }
        return Double(events.count) / elapsed
    }

    /// p50 and p99 seconds from journal commit to a listener holding the event's notification.
    private func latency(options: PostgresConnectionOptions, mode: PostgresNotifyMode) async throws -> (Double, Double) {
        let table = "vicinotify_bench_\(getpid())_latency_\(mode.rawValue)"
        let channel = "vicinotify_bench_latency"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-bench-latency-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(directory: dir)
        var config = sinkConfiguration(options, table: table, batch: 500, mode: mode)
        config.channel = channel
        let sink = PostgresSink(configuration: config, logger: Bench.quietLogger)
        if let error = await sink.connect() { throw error }
        _ = try await journal.cursor(sink: sink.name)
        let queue = DeliveryQueue(sink: sink, journal: journal, logger: Bench.quietLogger)
        let run = Task { await queue.run() }

        // Commit instants by sequence; the listener thread records arrival instants by sequence.
        let committed = Mutex<[UInt64: ContinuousClock.Instant]>([:])
        let arrived = Mutex<[UInt64: ContinuousClock.Instant]>([:])
        let total = latencyEvents
        let listening: Bool = await withCheckedContinuation { ready in
            Thread {
                guard let listener = try? PostgresConnection(options), (try? listener.listen(channel)) != nil else {
                    return ready.resume(returning: false)
                }
                ready.resume(returning: true)
                while arrived.withLock({ $0.count }) < total {
                guard let notes = try? listener.notifications(timeout: 0.2) else { return }
                let now = ContinuousClock.now
                for n in notes {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(n.payload.utf8)) as? [String: Any] else { continue }
                    if let text = object["sequence"] as? String, let s = UInt64(text) {
                        arrived.withLock { $0[s] = now }
                    } else if let first = (object["first_sequence"] as? NSNumber)?.uint64Value,
                              let last = (object["last_sequence"] as? NSNumber)?.uint64Value {
                        arrived.withLock { a in for s in first...last { a[s] = now } }
                    }
                }
                }
            }.start()
        }
        guard listening else { throw ValidationError("cannot LISTEN for the latency runs") }
        var tracker = SourceTracker(name: "bench", eventSource: "vicidial://bench", redactedURL: "", idSeed: 6)
        var step = 0, written = 0
        while written < total {
            step += 1
            let time = Timestamp.now()
            let batch = Array(tracker.observe(BenchFloor.agents(20, step: step), at: time).map(EncodedEvent.init).prefix(total - written))
            try await journal.commit(source: "bench", events: batch, changes: [], at: time, lastSequence: tracker.lastSequence)
            let now = ContinuousClock.now
            committed.withLock { c in for e in batch { c[e.sequence] = now } }
            queue.notify()
            written += batch.count
            try await Task.sleep(for: .milliseconds(5))  // pacing the writer, not waiting for a result
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while arrived.withLock({ $0.count }) < total, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        run.cancel()
        await run.value
        let client = PostgresClient(options)
        try await client.query("DROP TABLE IF EXISTS \(PostgresIdentifier.quoted(table)) CASCADE")
        let c = committed.withLock { $0 }
        let latencies = arrived.withLock { $0 }.compactMap { s, at in c[s].map { (at - $0).seconds } }
        return Bench.percentiles(latencies) ?? (.nan, .nan)
    }
}
