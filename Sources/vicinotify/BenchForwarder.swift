import ArgumentParser
import Foundation

/// `vicinotify bench ...` runs `vicinotify-bench ...` from beside this binary: the benchmarks are a product
/// of their own (`swift build -c release --product vicinotify-bench`), not part of the shipped binary.
struct BenchForwarder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Runs vicinotify-bench (built beside this binary): core, floor, journal, webhook, postgres, sse, nats, lifecycle.")

    @Argument(parsing: .captureForPassthrough, help: "The benchmark and its options, as vicinotify-bench takes them.")
    var arguments: [String] = []

    func run() throws {
        let path = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("vicinotify-bench").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ValidationError("the benchmarks are not installed with vicinotify: build them with "
                                  + "`swift build -c release --product vicinotify-bench` and run .build/release/vicinotify-bench")
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        throw ValidationError("cannot run \(path): \(String(cString: strerror(errno)))")
    }
}
