import Foundation
import TestSupport
import Testing

/// `Child`, the tests' one way to start a process: it inherits its standard streams and nothing else, and
/// no blocked signal, even when spawned from a thread that blocks SIGTERM.
@Suite struct ChildTests {
    /// Runs `arguments` to its end, started from a thread that blocks SIGTERM; its output.
    func run(_ arguments: [String]) async throws -> String {
        let child: Child = try await withCheckedThrowingContinuation { c in
            Thread.detachNewThread {
                var blocked = sigset_t()
                sigemptyset(&blocked)
                sigaddset(&blocked, SIGTERM)
                pthread_sigmask(SIG_BLOCK, &blocked, nil)
                c.resume(with: Result { try Child(arguments[0], Array(arguments.dropFirst())) })
            }
        }
        let out = await CommandLineTests.read(child.standardOutput!) { _ in }
        #expect(await child.exited(timeout: 20) && child.terminationStatus == 0, "\(arguments): \(out)")
        return out
    }

    @Test func aChildGetsNoOtherPipeAndNoBlockedSignal() async throws {
        // A pipe of this process that is not close-on-exec, as Foundation's `Pipe` makes them.
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { fds.forEach { close($0) } }
        var info = stat()
        #expect(fstat(fds[0], &info) == 0)
        let descriptors = try await run(["ls", "-l", "/proc/self/fd"])
        #expect(descriptors.contains("pipe:["), "its stdout is a pipe: \(descriptors)")
        #expect(!descriptors.contains("pipe:[\(info.st_ino)]"), "the test process's pipe leaked into the child: \(descriptors)")
        // Not through a shell: dash clears its signal mask when it starts.
        let status = try await run(["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"])
        let mask = { (name: String) in
            status.split(separator: "\n").first { $0.hasPrefix(name) }.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
        }
        #expect(mask("SigBlk:") == 0, "\(status)")
        #expect(mask("SigIgn:").map { $0 & (1 << (UInt64(SIGTERM) - 1)) } == 0, "\(status)")
    }

    @Test func stopEndsAChildThatIgnoresSIGTERM() async throws {
        let child = try Child("/bin/sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 1; done"], stderr: .null)
        #expect(await OperationsTests.Collector(child.standardOutput!).line(containing: "ready") != nil, "the trap is set")
        await child.stop(grace: 0.5)
        #expect(!child.isRunning && child.wasSignalled && child.terminationStatus == SIGKILL)
    }
}
