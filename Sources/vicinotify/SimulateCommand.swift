import ArgumentParser
import Foundation
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

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        Termination.install(logger: logger)
        var config = floor.simulator
        config.port = port
        config.apiUser = user
        config.apiPassword = password
        let server = try await SimulatorServer.start(config, logger: logger)
        FileHandle.standardOutput.write(Data((server.apiURL + "\n").utf8))
        let work = Task<Void, Never> { while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) } }
        Termination.cancelOnSignal(work)
        await work.value
        await server.shutdown()
    }
}
