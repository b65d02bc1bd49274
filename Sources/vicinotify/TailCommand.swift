import ArgumentParser
import VicinotifyCore
import Daemon
import Foundation
import NATS
import Postgres
import Sinks
import Tail

struct TailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow a running daemon's events (or, with --postgres, the PostgreSQL sink's table).",
        discussion: """
            By default it follows the daemon's /v1/events stream at --url (or the http.listen of --config, or
            http://127.0.0.1:9464): catch-up from --since, then live; after a lost connection it reconnects
            and resumes by Last-Event-ID, with no gap and no duplicate. A token for /v1/* comes from the
            environment variable named by --token-env.

            With --postgres it listens on the channel first, catches up from the table, then prints what the channel announces,
            with no gap and no duplicate between the two; after a lost connection it reconnects and catches
            up again. On a terminal each event is one readable line; into a pipe, or with --json, each is
            the event's JSON exactly as emitted (NDJSON). The password comes from the conninfo, PGPASSWORD
            or ~/.pgpass.

            Exit codes: 0 when the reader of standard output goes away, 1 on an error reconnecting
            cannot fix (wrong password, missing table), 2 on bad arguments.

            Examples:
              vicinotify tail --since 10m
              vicinotify tail --config /etc/vicinotify/config.json --type 'vicidial.agent.status_*'
              vicinotify tail --postgres "host=127.0.0.1 dbname=calls user=notifier"
              vicinotify tail --postgres "dbname=calls" --since 0 --type 'vicidial.agent.status_*' | jq -c .data.current
              vicinotify tail --postgres "dbname=calls" --since 15m --agent agent001 --agent agent002
              vicinotify tail --nats nats://127.0.0.1:4222 --stream VICIDIAL --since 1h --type 'vicidial.agent.*'

            With --nats it reads the JetStream stream the NATS sink writes to (--stream), through an ordered
            consumer: catch-up from --since (a stream sequence, a time or a duration; default: new messages),
            then live, with no gap and no duplicate across a reconnect.
            """)

    @Option(help: "libpq conninfo or postgresql:// URI of the database holding the PostgreSQL sink's table.")
    var postgres: String?

    @OptionGroup var daemon: DaemonAddress

    @Option(help: ArgumentHelp("NATS server URLs (comma-separated) of a JetStream stream to follow.", valueName: "url"))
    var nats: String?

    @Option(help: "The JetStream stream (with --nats).")
    var stream = "VICIDIAL"

    @Option(help: "NATS user (with --nats); its password comes from --nats-password-env.")
    var natsUser: String?

    @Option(help: ArgumentHelp("Environment variable holding the NATS password or, without --nats-user, a token.", valueName: "name"))
    var natsPasswordEnv: String?

    @Option(help: "A NATS .creds file (with --nats).")
    var natsCreds: String?

    @Option(help: "The sink's NOTIFY channel.")
    var channel = PostgresSchema.defaultTable

    @Option(help: "The sink's table (NAME or SCHEMA.NAME).")
    var table = PostgresSchema.defaultTable

    @Option(help: ArgumentHelp("Where to start: a number (the events after it; 0 = from the start), a time "
                               + "(2026-11-24T09:00:00Z), or a duration back from now (90s, 15m, 2h). Default: the last 10 events. "
                               + "The number is what each reader counts in: the daemon's journal position (the id of /v1/events), "
                               + "the table's sequence column with --postgres (each source's CloudEvents sequence), "
                               + "the stream sequence with --nats.",
                               valueName: "position|time|duration"))
    var since: String?

    @Option(help: ArgumentHelp("Only events whose type matches this glob (repeatable).", valueName: "pattern"))
    var type: [String] = []

    @Option(help: ArgumentHelp("Only this agent's events (repeatable).", valueName: "user"))
    var agent: [String] = []

    @Flag(help: "NDJSON even on a terminal.")
    var json = false

    func validate() throws {
        if postgres != nil && nats != nil { throw ValidationError("--postgres and --nats: choose one") }
        if let nats, nats.split(separator: ",").contains(where: { !$0.hasPrefix("nats://") && !$0.hasPrefix("tls://") }) {
            throw ValidationError("--nats: expected nats://HOST:PORT URLs, comma-separated")
        }
        if postgres == nil, let since, Int64(since) == nil, ConfigDuration.parse(since) == nil, Timestamp(rfc3339: since) == nil {
            throw ValidationError("--since: expected a position, a time like 2026-11-24T09:00:00Z, or a duration like 15m")
        }
        guard postgres != nil else { return }
        if let problem = PostgresIdentifier.problem(with: table, qualified: true) { throw ValidationError("--table: \(problem)") }
        if let problem = PostgresIdentifier.problem(with: channel, qualified: false) { throw ValidationError("--channel: \(problem)") }
        _ = try start()
    }

    func start() throws -> PostgresTail.Start {
        guard let since else { return .last(10) }
        if let sequence = Int64(since), sequence >= 0 { return .afterSequence(sequence) }
        if let seconds = ConfigDuration.parse(since) { return .lastSeconds(seconds) }
        guard since.first?.isNumber == true, since.count >= 10 else {
            throw ValidationError("--since: expected a sequence number, a time like 2026-11-24T09:00:00Z, or a duration like 15m")
        }
        return .time(since)
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let readable = !json && isatty(1) == 1
        let formatter = TailLineFormatter()
        if let nats { return try followNATS(nats, readable: readable) }
        guard let postgres else {
            let url = try daemon.address()
            let tail = try SSETail(url: url, since: since, types: type, agents: agent, token: daemon.token) { message in
                FileHandle.standardError.write(Data("vicinotify tail: \(message)\n".utf8))
            }
            if isatty(2) == 1 {
                // On a quiet floor nothing else would show that it is following.
                let from = since.map { "from \($0)" } ?? "from now"
                FileHandle.standardError.write(Data("vicinotify tail: following \(url)/v1/events \(from) (Ctrl-C stops)\n".utf8))
            }
            do {
                try tail.run { json in Self.write((readable ? formatter.line(for: json) : json) + "\n") }
            } catch {
                FileHandle.standardError.write(Data("vicinotify tail: \(error)\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        let tail = PostgresTail(connection: PostgresConnectionOptions(conninfo: postgres, applicationName: "vicinotify tail"),
                                table: table, channel: channel, start: try start(), types: type, agents: agent) { message in
            FileHandle.standardError.write(Data("vicinotify tail: \(message)\n".utf8))
        }
        do {
            try tail.run { row in
                let line = readable ? formatter.line(for: row.json) : row.json
                return Self.write(line + "\n")
            }
        } catch let error as PostgresError {
            FileHandle.standardError.write(Data("vicinotify tail: \(error)\n".utf8))
            throw ExitCode(error.sqlState.map { $0.hasPrefix("22") } == true ? 2 : 1)
        }
    }

    /// `--nats`: blocks this (main) thread while the async reader runs on the pool.
    private func followNATS(_ urls: String, readable: Bool) throws {
        var options = NATSConnectionOptions(servers: urls.split(separator: ",").map(String.init))
        let secret = natsPasswordEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
        if let natsUser { (options.user, options.password) = (natsUser, secret) } else { options.token = secret }
        options.credentialsFile = natsCreds
        options.name = "vicinotify tail"
        let note: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("vicinotify tail: \($0)\n".utf8)) }
        let tail = try NATSTail(connection: options, stream: stream, since: since, types: type, agents: agent, note: note)
        let done = DispatchSemaphore(value: 0)
        let failure = Failure()
        Task {
            let formatter = TailLineFormatter()
            do {
                try await tail.run { json in Self.write((readable ? formatter.line(for: json) : json) + "\n") }
            } catch {
                failure.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = failure.error {
            note("\(error)")
            throw ExitCode(1)
        }
    }

    /// False once standard output is gone.
    private static func write(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(1, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            bytes = bytes.dropFirst(n)
        }
        return true
    }
}

/// The NATS reader's error, handed to the waiting main thread (the semaphore orders the write before the read).
private final class Failure: @unchecked Sendable {
    var error: (any Error)?
}
