import ArgumentParser
import Foundation
import MariaDB
import Simulator

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Serve a VICIdial-compatible non_agent_api.php on 127.0.0.1, with a scriptable floor.",
        discussion: """
            Prints the API URL on standard output once listening. The control interface (/sim/...) is
            described in README.md.

            Example:
              vicinotify simulate --port 8080 --agents 100 --seed 3
              curl 'http://127.0.0.1:8080/vicidial/non_agent_api.php?source=test&user=apiuser&pass=apipass&function=logged_in_agents&show_sub_status=YES'
            """)

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
    var port = 8080

    @OptionGroup var floor: FloorOptions

    @Option(help: "API user name.")
    var user = "apiuser"

    @Option(help: "API user password.")
    var password = "apipass"

    @Option(name: .customLong("mirror-db"), help: ArgumentHelp(
        "Also write the floor into VICIdial's tables in this MariaDB database, as HOST:PORT/DATABASE (for the database source).",
        valueName: "host:port/database"))
    var mirrorDB: String?

    @Option(name: .customLong("mirror-db-user"), help: "The MariaDB user that writes the mirrored tables.")
    var mirrorUser = "vicinotify_rw"

    @Option(name: .customLong("mirror-db-password-env"), help: "The environment variable holding that user's password.")
    var mirrorPasswordEnv = "VICINOTIFY_MIRROR_DB_PASSWORD"

    @OptionGroup var logging: LoggingOptions

    /// `--mirror-db` as connection options.
    func mirrorOptions() throws -> MariaDBConnectionOptions? {
        guard let mirrorDB else { return nil }
        let parts = mirrorDB.split(separator: "/", maxSplits: 1)
        let hostPort = parts.first.map(String.init) ?? ""
        guard parts.count == 2, let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]) else {
            throw ValidationError("--mirror-db: expected HOST:PORT/DATABASE, like 127.0.0.1:3306/asterisk")
        }
        return MariaDBConnectionOptions(host: String(hostPort[..<colon]), port: port, database: String(parts[1]), user: mirrorUser,
                                        password: ProcessInfo.processInfo.environment[mirrorPasswordEnv] ?? "")
    }

    func run() async throws {
        let logger = logging.bootstrap()
        Termination.install(logger: logger)
        var config = floor.simulator
        config.port = port
        config.apiUser = user
        config.apiPassword = password
        config.mirror = try mirrorOptions()
        let server = try await SimulatorServer.start(config, logger: logger)
        FileHandle.standardOutput.write(Data((server.apiURL + "\n").utf8))
        let work = Task<Void, Never> { while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) } }
        Termination.cancelOnSignal(work)
        await work.value
        await server.shutdown()
    }
}
