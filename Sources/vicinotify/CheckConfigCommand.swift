import ArgumentParser
import Daemon
import Foundation

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and list every problem, one per line, by JSON path.",
        discussion: """
            Exit codes: 0 valid, 2 invalid.

            Example:
              vicinotify check-config --config config.json
            """)

    @Option(help: "The configuration file (JSON).")
    var config: String

    func run() throws {
        do {
            let c = try Configuration.load(path: config)
            for warning in c.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            print("\(config): OK (\(c.sources.count) source\(c.sources.count == 1 ? "" : "s"); sinks: \(c.sinkNames.joined(separator: ", ")); state in \(c.stateDirectory))")
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}
