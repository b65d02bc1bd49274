import ArgumentParser
import Foundation
import Logging

/// `vicinotify-bench`: the benchmarks, a product of their own (`vicinotify bench` forwards to it).
public struct BenchCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "vicinotify-bench",
        abstract: "Built-in benchmarks. Build with -c release before trusting the numbers.",
        discussion: """
            Examples:
              vicinotify-bench core
              vicinotify-bench floor --agents 5000 --duration 30
              vicinotify-bench journal
              vicinotify-bench webhook
              vicinotify-bench sse --agents 5000 --readers 100
              vicinotify-bench nats
              vicinotify-bench handovers
              bash scripts/with-mariadb vicinotify-bench database --agents 500 --agents 5000
              bash scripts/with-postgres vicinotify-bench postgres
            """,
        subcommands: [CoreBenchmark.self, FloorBenchmark.self, JournalBenchmark.self, WebhookBenchmark.self, PostgresBenchmark.self,
                      SSEBenchmark.self, NATSBenchmark.self, LifecycleBenchmark.self, HandOverBenchmark.self,
                      DatabaseBenchmark.self])
}

/// What the benchmarks share besides the synthetic floor (`BenchFloor`).
enum Bench {
    /// Drops every log line below critical: a benchmark's output is its numbers.
    static var quietLogger: Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        return logger
    }

    /// This process's CPU time since `cpu0` (a `Memory.cpuSeconds` reading) per request, in microseconds.
    static func cpuMicroseconds(since cpu0: Double, requests: Int) -> Double {
        (Memory.cpuSeconds - cpu0) / Double(max(1, requests)) * 1e6
    }

    /// The median and the 99th percentile of `samples`; `nil` without samples.
    static func percentiles(_ samples: [Double]) -> (p50: Double, p99: Double)? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now.
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")),
                               sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw ValidationError("cannot find a free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
