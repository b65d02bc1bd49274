import ArgumentParser
import CurlHTTP
import Foundation
import MariaDB
import VICIdial
import VICIdialDatabase
import VicinotifyCore

/// The database source beside the API source on the same simulated floor (`simulate --mirror-db`): the
/// statement's time and the database server's CPU per poll, the daemon's CPU per poll, and what one API
/// poll costs the simulated VICIdial.
struct DatabaseBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database",
        abstract: "Database source vs API source at the same floor: time and server CPU per poll, the daemon's CPU per poll.",
        discussion: """
            Needs a MariaDB server with a user that may create databases named vn_…: scripts/with-mariadb starts one.

            Example:
              bash scripts/with-mariadb .build/release/vicinotify-bench database --agents 500 --agents 5000
            """)

    @Option(help: "Floor sizes to measure (repeat the option for several).")
    var agents: [Int] = [500, 5000]

    @Option(help: "Polls per measurement.")
    var polls = 30

    @Option(help: "MariaDB port on 127.0.0.1 (default: $VICINOTIFY_TEST_MARIADB_PORT, set by scripts/with-mariadb).")
    var port: Int?

    @Option(help: "MariaDB user that may create databases vn_….")
    var user = "vicinotify_rw"

    @Option(help: "The environment variable with that user's password.")
    var passwordEnv = "VICINOTIFY_TEST_MARIADB_PASSWORD"

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let port = port ?? env["VICINOTIFY_TEST_MARIADB_PORT"].flatMap(Int.init) else {
            throw ValidationError("give --port, or run under scripts/with-mariadb")
        }
        let password = env[passwordEnv] ?? ""
        let admin = MariaDBClient(MariaDBConnectionOptions(port: port, database: "asterisk", user: user, password: password))
        let version = try await admin.query("SELECT VERSION()").rows.first?.first ?? "?"
        let serverPID = Int32(try await admin.query("SELECT @@pid_file").rows.first?.first.flatMap { $0 }
            .flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        print("server: MariaDB \(version ?? "?")\(serverPID > 0 ? ", PID \(serverPID)" : " (its CPU is not readable here)"); \(polls) polls each")
        let schema = try String(contentsOfFile: Self.share("vicidial-tables.sql"), encoding: .utf8)
        for n in agents {
            let name = "vn_bench_\(getpid())_\(n)"
            _ = try await admin.query("CREATE DATABASE \(name)")
            defer { Task { _ = try? await admin.query("DROP DATABASE \(name)") } }
            let db = MariaDBClient(MariaDBConnectionOptions(port: port, database: name, user: user, password: password))
            try await db.run(script: schema)
            // The day model's floor after a few minutes: every state, changing each tick.
            let sim = try SimulatorProcess.start(agents: n, tick: 0.5, mirror: "127.0.0.1:\(port)/\(name)", mirrorPassword: password)
            defer { sim.stop() }
            try await Task.sleep(for: .seconds(3))
            try await measure(agents: n, sim: sim, database: name, port: port, password: password, serverPID: serverPID)
        }
        print("The API's real cost on VICIdial (vicidial-db-source.md, PHP 8.2 + MariaDB): 210-260 ms of server time per "
              + "logged_in_agents at 500 agents; the simulator above answers the same request without PHP or SQL.")
    }

    private func measure(agents n: Int, sim: SimulatorProcess, database: String, port: Int, password: String, serverPID: Int32) async throws {
        var source = VICIdialSource(name: "bench", url: "", user: user, password: password, mode: .database, timeout: 10)
        source.database = DatabaseLocation(port: port, name: database, user: user, password: password, maxLag: 3600)
        let reader = DatabaseFloorReader(source: source)
        _ = await reader.poll(known: KnownFloor())  // connected, columns checked
        var wall: [Double] = []
        var seen = 0
        let cpu0 = Memory.cpuSeconds, server0 = serverPID > 0 ? SimulatorProcess.cpuSeconds(pid: serverPID) : 0
        let clock = ContinuousClock()
        for _ in 0..<polls {
            let start = clock.now
            guard case .success(let s) = await reader.poll(known: KnownFloor()) else { throw ValidationError("a database poll failed") }
            wall.append((clock.now - start).seconds)
            seen = s.agents.count
        }
        let dbCPU = (Memory.cpuSeconds - cpu0) / Double(polls) * 1000
        let serverCPU = serverPID > 0 ? (SimulatorProcess.cpuSeconds(pid: serverPID) - server0) / Double(polls) * 1000 : .nan
        let api = VICIdialClient(source: VICIdialSource(name: "bench", url: sim.url, user: "apiuser", password: "apipass", timeout: 10),
                                 transport: CurlTransport())
        var apiWall: [Double] = []
        let apiCPU0 = Memory.cpuSeconds, simCPU0 = sim.cpuSeconds
        for _ in 0..<polls {
            let start = clock.now
            guard case .success = await api.poll(known: KnownFloor()) else { throw ValidationError("an API poll failed") }
            apiWall.append((clock.now - start).seconds)
        }
        let apiCPU = (Memory.cpuSeconds - apiCPU0) / Double(polls) * 1000
        let simCPU = (sim.cpuSeconds - simCPU0) / Double(polls) * 1000
        let d = Bench.percentiles(wall)!, a = Bench.percentiles(apiWall)!
        print(String(format: "%5d agents (%d read): database poll p50 %.1f ms p99 %.1f ms, MariaDB CPU %.1f ms/poll, daemon CPU %.2f ms/poll",
                     n, seen, d.p50 * 1000, d.p99 * 1000, serverCPU, dbCPU))
        print(String(format: "%5d agents: API poll (simulator) p50 %.1f ms p99 %.1f ms, simulator CPU %.1f ms/poll, daemon CPU %.2f ms/poll",
                     n, a.p50 * 1000, a.p99 * 1000, simCPU, apiCPU))
    }

    /// A file of the repository's `share/` (beside the sources this was built from, or the working directory's).
    static func share(_ file: String) -> String {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let built = here.appendingPathComponent("share").appendingPathComponent(file).path
        return FileManager.default.fileExists(atPath: built) ? built : "share/" + file
    }
}
