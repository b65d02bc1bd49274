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

    @Option(help: "Agents on the simulated floor.")
    var agents = 20

    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var duration: Double?

    @Option(help: "Seed of the simulated day: the same seed gives the same sequence of changes.")
    var seed: UInt64 = 1

    @Option(help: "Seconds between polls.")
    var interval: Double = 0.5

    @Option(help: "Seconds between simulated state changes.")
    var tick: Double = 1

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard agents >= 1, agents <= 1_000_000 else { throw ValidationError("--agents must be 1 to 1000000") }
        guard interval > 0, tick > 0 else { throw ValidationError("--interval and --tick must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    }

    func run() async throws {
        let logger = logging.bootstrap()
        Termination.install(logger: logger)
        var sim = SimulatorConfiguration()
        sim.agents = agents
        sim.seed = seed
        sim.tickInterval = tick
        let server = try await SimulatorServer.start(sim, logger: logger)
        logger.info("simulated VICIdial listening", metadata: ["url": "\(server.apiURL)", "agents": "\(agents)"])
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
