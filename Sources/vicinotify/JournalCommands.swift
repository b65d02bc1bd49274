import ArgumentParser
import Daemon
import Foundation
import Journal
import VicinotifyCore

/// Opens the journal named by a configuration file (exit 2 on a bad configuration).
struct JournalOptions: ParsableArguments {
    @Option(help: "The configuration file (JSON); its state_dir holds the journal.")
    var config: String

    /// The journal; `sink`, when given, must be one the configuration defines (exit 2 otherwise).
    func open(sink: String? = nil) throws -> Journal {
        let configuration = try Configuration.loadOrExit(path: config, requireSecrets: false)
        if let sink, !configuration.sinkNames.contains(sink) {
            FileHandle.standardError.write(Data("--sink: no sink named '\(sink)' in \(config) (its sinks: \(configuration.sinkNames.joined(separator: ", ")))\n".utf8))
            throw ExitCode(2)
        }
        return try Journal(directory: configuration.stateDirectory)
    }
}

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "Inspect, retry or purge the events sinks gave up on.",
        discussion: """
            Examples:
              vicinotify dead-letters list --config config.json
              vicinotify dead-letters retry --config config.json --sink stdout
              vicinotify dead-letters purge --config config.json
            """,
        subcommands: [List.self, Retry.self, Purge.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One JSON line per dead letter (the event under \"event\").")
        @OptionGroup var journal: JournalOptions
        @Option(help: "Only this sink.") var sink: String?

        func run() async throws {
            for d in try await journal.open(sink: sink).deadLetters(sink: sink) {
                var w = JSONWriter()
                w.raw("{\"sink\":"); w.string(d.sink)
                w.raw(",\"attempts\":"); w.int(Int64(d.attempts))
                w.raw(",\"last_error\":"); w.string(d.lastError)
                w.raw(",\"dead_at\":"); w.string(d.deadAt.description)
                w.raw(",\"event\":"); w.bytes += d.event.json
                w.raw("}\n")
                FileHandle.standardOutput.write(Data(w.bytes))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue dead letters again for their sink (the running daemon picks them up within a second).")
        @OptionGroup var journal: JournalOptions
        @Option(help: "Only this sink.") var sink: String?

        func run() async throws {
            let n = try await journal.open(sink: sink).retryDeadLetters(sink: sink)
            print("\(n) dead letter\(n == 1 ? "" : "s") queued again")
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead letters for good.")
        @OptionGroup var journal: JournalOptions
        @Option(help: "Only this sink.") var sink: String?

        func run() async throws {
            let n = try await journal.open(sink: sink).purgeDeadLetters(sink: sink)
            print("\(n) dead letter\(n == 1 ? "" : "s") purged")
        }
    }
}

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Deliver journaled events to one sink again, from a sequence or a time on.",
        discussion: """
            The copies keep their event ids and bytes, so consumers deduplicate them. Only events still in
            the journal can be replayed (see journal.keep_events).

            Examples:
              vicinotify replay --config config.json --sink stdout --since 000000000000012000
              vicinotify replay --config config.json --sink stdout --since 2026-11-24T08:00:00Z
            """)

    @OptionGroup var journal: JournalOptions
    @Option(help: "The sink to deliver to.") var sink: String
    @Option(help: "A sequence number, or an RFC 3339 UTC time such as 2026-11-24T08:00:00Z.") var since: String

    func validate() throws {
        guard UInt64(since) != nil || Timestamp(rfc3339: since) != nil else {
            throw ValidationError("--since takes a sequence number or an RFC 3339 time ending in Z")
        }
    }

    func run() async throws {
        let start: Journal.ReplayStart = UInt64(since).map { .sequence($0) } ?? .time(Timestamp(rfc3339: since)!)
        let n = try await journal.open(sink: sink).replay(sink: sink, from: start)
        print("\(n) event\(n == 1 ? "" : "s") queued for \(sink)")
    }
}
