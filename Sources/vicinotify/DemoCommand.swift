import ArgumentParser
import Daemon
import Foundation
import Simulator
import VICIdial
import VicinotifyCore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a simulated VICIdial floor and watch it: events as NDJSON on standard output.",
        discussion: """
            No configuration and no server needed: the simulator listens on a free 127.0.0.1 port and the
            poller reads it every --interval.

            With --http, it also serves the wallboard (/), /v1/agents and /v1/events over the simulated floor
            and says the URL on standard error.

            Examples:
              vicinotify demo --http 127.0.0.1:9464 > /dev/null     # then open http://127.0.0.1:9464/
              vicinotify demo --duration 10 | jq -c .type
              vicinotify demo --agents 50 --seed 7 | jq -c 'select(.type=="vicidial.agent.status_changed") | .data.current.status'
            """)

    @OptionGroup var floor: FloorOptions

    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var duration: Double?

    @Option(help: "Seconds between polls.")
    var interval: Double = 0.5

    @Option(help: "Also serve the wallboard and the API on HOST:PORT (loopback only), e.g. 127.0.0.1:9464.")
    var http: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard interval > 0, floor.tick > 0 else { throw ValidationError("--interval and --tick must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let http {
            guard let address = Configuration.listenAddress(http) else { throw ValidationError("--http takes HOST:PORT, e.g. 127.0.0.1:9464") }
            guard APIAccess.isLoopback(address.host) else { throw ValidationError("--http serves the demo on loopback only") }
            guard address.port != 0 else { throw ValidationError("--http needs a port, e.g. 127.0.0.1:9464") }
        }
    }

    /// The demo's alert rules, so the wallboard has rows to highlight; `paused_4s` fires within seconds, so a
    /// newcomer sees `vicidial.agent.threshold_exceeded` in the first run.
    static let alerts = [AlertRule(name: "paused_4s", status: "PAUSED", longerThan: 4),
                         AlertRule(name: "long_break", status: "PAUSED", pauseCodes: ["BREAK", "LUNCH"], longerThan: 60),
                         AlertRule(name: "long_dead", status: "INCALL", subStatus: "DEAD", longerThan: 20),
                         AlertRule(name: "idle_ready", status: "READY", longerThan: 120)]

    /// With the wallboard, the demo watches the simulator's in-groups, with rules that colour its strip.
    static let queueAlerts = [QueueRule(name: "backlog", condition: .callsWaitingAtLeast(3), holdFor: 10),
                              QueueRule(name: "nobody_ready", condition: .readyAgentsAtMostWhileWaiting(0), holdFor: 5),
                              QueueRule(name: "drops", condition: .dropPercentAtLeast(5, minCalls: 10))]

    func run() async throws {
        let logger = logging.bootstrap()
        Termination.install(logger: logger)
        let sim = floor.simulator
        let server = try await SimulatorServer.start(sim, logger: logger)
        logger.info("simulated VICIdial listening", metadata: ["url": "\(server.apiURL)", "agents": "\(floor.agents)"])
        var source = VICIdialSource(name: "demo", url: server.apiURL, user: sim.apiUser, password: sim.apiPassword,
                                    interval: interval, timeout: 5)
        if http != nil { source.queues = QueueSelection(inGroups: ["SUPPORT", "BILLING"]) }
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("vicinotify-demo-\(getpid())").path
        var config = Configuration(stateDirectory: stateDirectory,
                                   sources: [.init(vicidial: source, eventSource: "vicidial://\(source.authority)")])
        config.httpListen = http.flatMap(Configuration.listenAddress)
        config.alerts = Self.alerts
        if http != nil { config.queueAlerts = Self.queueAlerts }
        let daemon = Daemon(configuration: config, sinks: RunCommand.sinks(for: config, logger: logger), logger: logger)
        let work = Task { _ = try await daemon.run(drainTimeout: 5) }
        if let address = config.httpListen {
            let host = address.host.contains(":") ? "[\(address.host)]" : address.host
            FileHandle.standardError.write(Data("wallboard: http://\(host):\(address.port)/\n".utf8))
        }
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
