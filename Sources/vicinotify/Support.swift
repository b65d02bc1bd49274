import ArgumentParser
import Daemon
import Dispatch
import Foundation
import Logging
import Simulator
import Synchronization

/// Options every long-running command shares.
struct LoggingOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "trace, debug, info, notice, warning, error or critical. Logs go to standard error.")
    var logLevel: Logger.Level = .info

    @Option(help: "text: readable lines; json: one JSON object per line.")
    var logFormat: Format = .text

    func bootstrap() -> Logger {
        let (level, format) = (logLevel, logFormat)
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "vicinotify")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// The simulated floor, for `demo` and `simulate`.
struct FloorOptions: ParsableArguments {
    @Option(help: "Agents on the simulated floor.")
    var agents = 20

    @Option(help: "Seed of the simulated day: the same seed gives the same sequence of changes.")
    var seed: UInt64 = 1

    @Option(help: "Seconds between simulated state changes (simulate: 0 = only when told through /sim/tick).")
    var tick: Double = 1

    @Option(help: "Each agent changes at most every N ticks, the floor staggered across them (steadier churn).")
    var spread = 1

    func validate() throws {
        guard agents >= 1, agents <= 1_000_000 else { throw ValidationError("--agents must be 1 to 1000000") }
        guard tick >= 0 else { throw ValidationError("--tick must not be negative") }
        guard spread >= 1, spread <= 10_000 else { throw ValidationError("--spread must be 1 to 10000") }
    }

    var simulator: SimulatorConfiguration {
        var config = SimulatorConfiguration()
        config.agents = agents
        config.seed = seed
        config.tickInterval = tick > 0 ? tick : nil
        config.spread = spread
        return config
    }
}

/// SIGINT and SIGTERM (and SIGHUP, unless the daemon ignores it): the first cancels the work (a graceful
/// stop), the second exits at once. The daemon ignores SIGHUP with a log line: systemd's
/// `Restart=on-failure` would leave a daemon down that a reload request had stopped with exit 0.
/// Install before starting the work: a signal that arrives first is remembered, never lost.
enum Termination {
    /// Keeps the signal sources alive; written once, before any signal is handled.
    private final class Keep: @unchecked Sendable { var sources: [any DispatchSourceSignal] = [] }
    private static let keep = Keep()
    private static let received = Atomic<Int>(0)
    private static let cancel = Mutex<(@Sendable () -> Void)?>(nil)

    static func install(logger: Logger, ignoringHangup: Bool = false) {
        // A parent may hand us these signals blocked (a test runner's spawn does): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)  // first: libdispatch installs its own handler when the source resumes
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if sig == SIGHUP, ignoringHangup {
                    logger.notice("SIGHUP ignored: the configuration is read at start; restart to apply a new one (SIGTERM stops)")
                    return
                }
                if received.add(1, ordering: .relaxed).newValue > 1 {
                    logger.warning("second signal: exiting now")
                    exit(130)
                }
                logger.notice("stopping: finishing the current poll and in-flight deliveries (signal again to exit now)")
                cancel.withLock { $0 }?()
            }
            source.resume()
            keep.sources.append(source)
        }
    }

    /// Cancels `work` on the first signal, including one that came before this call.
    static func cancelOnSignal<T: Sendable, E: Error>(_ work: Task<T, E>) {
        cancel.withLock { $0 = { work.cancel() } }
        if received.load(ordering: .relaxed) > 0 { work.cancel() }
    }
}

extension Configuration {
    /// The configuration at `path`, or exit 2 after listing its problems on standard error (one per line).
    static func loadOrExit(path: String, requireSecrets: Bool = true) throws -> Configuration {
        do {
            return try load(path: path, requireSecrets: requireSecrets)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}
