import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Built-in benchmarks. Build with -c release before trusting the numbers.",
        discussion: """
            Examples:
              vicinotify bench core
              vicinotify bench floor --agents 5000 --duration 30
              vicinotify bench journal
              vicinotify bench webhook
              bash scripts/with-postgres vicinotify bench postgres
            """,
        subcommands: [CoreBenchmark.self, FloorBenchmark.self, JournalBenchmark.self, WebhookBenchmark.self, PostgresBenchmark.self])
}
