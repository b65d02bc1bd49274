import ArgumentParser
import Foundation

/// `vicinotify simulate` (the binary beside this one) in a child process, so that a benchmark counts only the daemon's CPU.
struct SimulatorProcess {
    let process: Process
    /// The simulated `non_agent_api.php`.
    let url: String

    /// - Parameter mirror: `HOST:PORT/DATABASE` to mirror the floor into (`--mirror-db`), with `mirrorPassword`.
    static func start(agents: Int, tick: Double, spread: Int = 1, mirror: String? = nil, mirrorPassword: String = "") throws -> SimulatorProcess {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("vicinotify")
        child.arguments = ["simulate", "--port", "0", "--agents", String(agents), "--tick", String(tick), "--spread", String(spread),
                          "--log-level", "warning"] + (mirror.map { ["--mirror-db", $0] } ?? [])
        child.environment = ProcessInfo.processInfo.environment.merging(["VICINOTIFY_MIRROR_DB_PASSWORD": mirrorPassword]) { _, n in n }
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

    /// User + system CPU seconds the simulator has used.
    var cpuSeconds: Double { Self.cpuSeconds(pid: process.processIdentifier) }

    /// User + system CPU seconds of process `pid`, from `/proc/PID/stat`.
    static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
