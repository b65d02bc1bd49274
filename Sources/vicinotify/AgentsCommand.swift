import ArgumentParser
import CurlHTTP
import Foundation

/// `vicinotify agents`: the floor now, from a running daemon's `GET /v1/agents`.
struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Print the floor now from a running daemon: a table on a terminal, its JSON in a pipe.",
        discussion: """
            Examples:
              vicinotify agents
              vicinotify agents --config /etc/vicinotify/config.json --status PAUSED
              vicinotify agents --json | jq '.sources[].summary'
            """)

    @OptionGroup var daemon: DaemonAddress

    @Option(help: "Only these (repeatable): campaign.") var campaign: [String] = []
    @Option(help: "Only these (repeatable): status.") var status: [String] = []
    @Option(help: "Only these (repeatable): source.") var source: [String] = []
    @Flag(help: "JSON even on a terminal.") var json = false

    func run() async throws {
        var query: [String] = []
        for (key, values) in [("campaign", campaign), ("status", status), ("source", source)] where !values.isEmpty {
            query.append(key + "=" + values.joined(separator: ","))
        }
        let body = try await daemon.get("/v1/agents" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")), command: "agents")
        if json || isatty(1) == 0 {
            FileHandle.standardOutput.write(Data(body))
            return
        }
        print(Self.table(body))
    }

    /// One line per agent, with its time in state as MM:SS, then each source's counts.
    static func table(_ body: [UInt8]) -> String {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return "" }
        var lines = ["SOURCE      AGENT         STATUS    SUB      PAUSE   CAMPAIGN  CALL      TIME"]
        for a in root["agents"] as? [[String: Any]] ?? [] {
            let s = a["state"] as? [String: Any] ?? [:]
            let seconds = Int(a["state_seconds"] as? Double ?? 0)
            let time = String(format: "%02d:%02d", seconds / 60, seconds % 60) + (a["state_seconds_at_least"] as? Bool == true ? "+" : "")
            let fields = [a["source"], a["agent"], s["status"], s["sub_status"], s["pause_code"], s["campaign_id"], s["call_type"] ?? s["call_type_hint"]]
                .map { "\($0 ?? "")" }
            let widths = [12, 14, 10, 9, 8, 10, 10]
            lines.append(zip(fields, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined() + time)
        }
        for (name, health) in (root["sources"] as? [String: [String: Any]] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let sum = health["summary"] as? [String: Int] ?? [:]
            let stale = health["stale"] as? Bool == true ? "  STALE since \(health["last_success"] ?? "never")" : ""
            lines.append("\(name): \(sum["logged_in"] ?? 0) logged in, \(sum["in_calls"] ?? 0) in calls, \(sum["waiting"] ?? 0) waiting, "
                         + "\(sum["paused"] ?? 0) paused, \(sum["dead"] ?? 0) dead, \(sum["dispo"] ?? 0) dispo, \(sum["dialling"] ?? 0) dialling\(stale)")
        }
        return lines.joined(separator: "\n")
    }
}
