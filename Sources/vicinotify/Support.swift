import ArgumentParser
import Dispatch
import Foundation
import Logging
import Synchronization

/// Options every long-running command shares.
struct LoggingOptions: ParsableArguments {
    @Option(help: "trace, debug, info, notice, warning, error or critical. Logs go to standard error.")
    var logLevel: Logger.Level = .info

    func bootstrap() -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "vicinotify")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// SIGINT and SIGTERM: the first cancels `work` (a graceful stop), the second exits at once.
enum Termination {
    /// Keeps the signal sources alive; written once, by the command's own task, before any signal can matter.
    private final class Keep: @unchecked Sendable { var sources: [any DispatchSourceSignal] = [] }
    private static let keep = Keep()
    private static let received = Atomic<Int>(0)

    static func cancelOnSignal<T: Sendable>(_ work: Task<T, Never>, logger: Logger) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if received.add(1, ordering: .relaxed).newValue > 1 {
                    logger.warning("second signal: exiting now")
                    exit(130)
                }
                logger.notice("stopping: finishing the current poll and in-flight deliveries (signal again to exit now)")
                work.cancel()
            }
            source.resume()
            keep.sources.append(source)
        }
    }
}

/// Resident set size now and at its peak, in bytes.
enum Memory {
    static var peakRSS: Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }

    static var currentRSS: Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// User + system CPU seconds this process has used.
    static var cpuSeconds: Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    static func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
}
