import ArgumentParser
import CurlHTTP
import Daemon
import Foundation
import VICIdial
import VicinotifyCore

/// `vicinotify probe`: one poll of each source, nothing journaled, and what it saw or the exact problem.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Poll each source once, journal nothing, and print what it saw (agents, sub-statuses, replica lag) or the problem.",
        discussion: """
            Exit codes: 0 every source answered, 1 a source failed, 2 invalid configuration.

            Example:
              vicinotify probe --config /etc/vicinotify/config.json
            """)

    @Option(help: "The configuration file (JSON).")
    var config: String

    func run() async throws {
        let c = try Configuration.loadOrExit(path: config)
        let transport = CurlTransport()
        var failed = false
        for s in c.sources {
            let reader = s.reader(transport: transport)
            let clock = ContinuousClock(), start = clock.now
            let result = await reader.poll(known: KnownFloor())
            let ms = Int(((clock.now - start).seconds * 1000).rounded())
            print(Self.describe(result, source: s.vicidial, at: reader.redactedURL, milliseconds: ms))
            if case .failure = result { failed = true }
        }
        if failed { throw ExitCode(1) }
    }

    /// The lines `probe` prints for one source's poll.
    static func describe(_ result: Result<FloorSnapshot, PollFailure>, source: VICIdialSource, at place: String,
                         milliseconds: Int) -> String {
        let head = "\(source.name) (\(source.mode.rawValue), \(place))"
        switch result {
        case .failure(let f):
            return "\(head): FAILED after \(milliseconds) ms: \(f.reason.rawValue)\n  \(f.advice)"
        case .success(let snapshot):
            let lag = snapshot.lag.map { String(format: "; replica lag %.0f s", $0) } ?? ""
            var counts: [String: Int] = [:]
            for a in snapshot.agents {
                counts[[a.status, a.subStatus, a.pauseCode].filter { !$0.isEmpty }.joined(separator: " "), default: 0] += 1
            }
            let states = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            return "\(head): \(snapshot.agents.count) agent\(snapshot.agents.count == 1 ? "" : "s") in \(milliseconds) ms\(lag)"
                + (states.isEmpty ? "" : "\n  " + states.joined(separator: ", "))
        }
    }
}
