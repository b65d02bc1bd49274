import ArgumentParser

@main
struct Vicinotify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vicinotify",
        abstract: "Watches VICIdial agents and turns every change of state into an event for your sinks.",
        discussion: """
            Examples:
              vicinotify demo --duration 10 | jq -c '{type, subject}'
              vicinotify run --config /etc/vicinotify/config.json
              vicinotify check-config --config config.json
            """,
        version: BuildInfo.description,
        subcommands: [RunCommand.self, DemoCommand.self, SimulateCommand.self, InitCommand.self, CheckConfigCommand.self, ProbeCommand.self, WebhooksCommand.self, QueuesCommand.self, StatusCommand.self,
                      TailCommand.self, AgentsCommand.self, SchemaCommand.self, DeadLettersCommand.self, ReplayCommand.self, BenchForwarder.self]
    )
}
