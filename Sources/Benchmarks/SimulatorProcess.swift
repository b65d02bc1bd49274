import ArgumentParser
import Foundation

/// `vicinotify simulate` (the binary beside this one) in a child process, so that a benchmark counts only the daemon's CPU.
struct SimulatorProcess {
    let process: Process
    /// The simulated `non_agent_api.php`.
    let url: String

    static func start(agents: Int, tick: Double, spread: Int = 1) throws -> SimulatorProcess {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("vicinotify")
        child.arguments = ["simulate", "--port", "0", "--agents", String(agents), "--tick", String(tick), "--spread", String(spread),
                          "--log-level", "warning"]
        let out = Pipe()
        child.standardOutput = out
        try child.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw ValidationError("the simulator exited before listening") }
            line.append(chunk)
        }
        return SimulatorProcess(process: child, url: String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
