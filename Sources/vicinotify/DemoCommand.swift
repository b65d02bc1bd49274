import ArgumentParser
import Daemon
import Foundation
import Simulator
import VICIdial

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a simulated VICIdial floor and watch it: events as NDJSON on standard output.",
        discussion: """
            No configuration and no server needed: the simulator listens on a free 127.0.0.1 port and the
            poller reads it every --interval.

            Examples:
              vicinotify demo --duration 10 | jq -c .type
              vicinotify demo --agents 50 --seed 7 | jq -c 'select(.type=="vicidial.agent.status_changed") | .data.current.status'
            """)

    @OptionGroup var floor: FloorOptions

    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var duration: Double?

    @Option(help: "Seconds between polls.")
    var interval: Double = 0.5

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard interval > 0, floor.tick > 0 else { throw ValidationError("--interval and --tick must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    }

    func run() async throws {
        let logger = logging.bootstrap()
        Termination.install(logger: logger)
        let sim = floor.simulator
        let server = try await SimulatorServer.start(sim, logger: logger)
        logger.info("simulated VICIdial listening", metadata: ["url": "\(server.apiURL)", "agents": "\(floor.agents)"])
        let source = VICIdialSource(name: "demo", url: server.apiURL, user: sim.apiUser, password: sim.apiPassword,
                                    interval: interval, timeout: 5)
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-demo-\(getpid())").path
        let config = Configuration(stateDirectory: stateDirectory,
                                   sources: [.init(vicidial: source, eventSource: "vicidial://\(source.authority)")])
        let daemon = Daemon(configuration: config, sinks: RunCommand.sinks(for: config, logger: logger), logger: logger)
        let work = Task { _ = try await daemon.run(drainTimeout: 5) }
        Termination.cancelOnSignal(work)
        if let duration {
            Task {
                try? await Task.sleep(for: .milliseconds(Int(duration * 1000)))
                work.cancel()
            }
        }
        let result = await work.result
        await server.shutdown()
        try? FileManager.default.removeItem(atPath: stateDirectory)
        try result.get()
    }
}
