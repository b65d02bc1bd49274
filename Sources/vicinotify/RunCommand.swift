import ArgumentParser
import Daemon
import Foundation
import Sinks

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: poll every configured source and deliver events to the sinks.",
        discussion: """
            SIGINT or SIGTERM stops polling, delivers what was already polled (for at most --drain-timeout),
            and exits 0. A second signal exits at once. SIGHUP is logged and ignored: restart to apply a new
            configuration. Only one daemon may run on a state_dir: a second one exits 1 naming the first one's PID.

            --once exits 1 when a source failed or its events could not be journaled.

            Example:
              VICIDIAL_PASS=... vicinotify run --config config.json | jq -c .
            """)

    @Option(help: "The configuration file (JSON).")
    var config: String

    @Flag(help: "Poll every source once, deliver, and exit; the exit code is 1 if any source failed.")
    var once = false

    @Option(help: "Seconds to keep delivering after a stop signal.")
    var drainTimeout: Double = 10

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard drainTimeout.isFinite, (0...3600).contains(drainTimeout) else {
            throw ValidationError("--drain-timeout must be a number of seconds from 0 to 3600")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap()
        Termination.install(logger: logger, ignoringHangup: true)
        let configuration = try Configuration.loadOrExit(path: config)
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let daemon = Daemon(configuration: configuration, sinks: Self.sinks(for: configuration, logger: logger), logger: logger)
        let once = self.once
        let drain = drainTimeout
        let work = Task { try await daemon.run(once: once, drainTimeout: drain) }
        Termination.cancelOnSignal(work)
        let reports: [PollReport]
        do {
            reports = try await work.value
        } catch {
            logger.critical("cannot run: \(error)")
            throw ExitCode(1)
        }
        if once && reports.contains(where: { $0.failure != nil || !$0.journalWritable }) { throw ExitCode(1) }
    }

    static func sinks(for configuration: Configuration, logger: Logger) -> [any EventSink] {
        let context = SinkContext(logger: logger) { kill(getpid(), SIGTERM) }
        return configuration.sinks.map { $0.makeSink(context) }
    }
}

import Logging
import VicinotifyCore
