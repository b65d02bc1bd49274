import ArgumentParser
import Foundation

/// `vicinotify status`: a running daemon's health at a glance, for admins without Prometheus: each
/// source's state and each sink's backlog, oldest undelivered event and dead letters, read from its
/// `/metrics` and `/readyz`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print a running daemon's sources, sinks (backlog, oldest undelivered, dead letters) and journal.",
        discussion: """
            Exit status: 0 when the daemon is ready (every source answering, the journal writable), 1 when it \
            is not or cannot be reached.

            Examples:
              vicinotify status --config /etc/vicinotify/config.json
              vicinotify status --json | jq '.sinks[] | select(.dead_letters > 0)'
            """)

    @OptionGroup var daemon: DaemonAddress
    @Flag(help: "JSON instead of the table.") var json = false

    func run() async throws {
        let metrics = PrometheusText(String(decoding: try await daemon.get("/metrics", command: "status"), as: UTF8.self))
        let ready = (try? await daemon.get("/readyz", command: "status")) != nil
        let report = Self.report(metrics, ready: ready)
        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            print(Self.table(report))
        }
        if !ready { throw ExitCode(1) }
    }

    /// The status as JSON-ready values: `ready`, `sources`, `sinks`, `journal_bytes`, `event_readers`.
    static func report(_ m: PrometheusText, ready: Bool) -> [String: Any] {
        let sources = m.labels("vicinotify_source_up", "source").map { name -> [String: Any] in
            let polls = m.samples("vicinotify_polls_total").filter { $0.labels["source"] == name }
            var s: [String: Any] = ["name": name, "up": m.value("vicinotify_source_up", ["source": name]) == 1,
                                    "polls_ok": Int(polls.filter { ["ok", "empty"].contains($0.labels["outcome"]) }.map(\.value).reduce(0, +)),
                                    "polls_failed": Int(polls.filter { !["ok", "empty"].contains($0.labels["outcome"]) }.map(\.value).reduce(0, +)),
                                    "agents": Int(m.samples("vicinotify_agents").filter { $0.labels["source"] == name }.map(\.value).reduce(0, +))]
            if let lag = m.value("vicinotify_source_lag_seconds", ["source": name]) { s["lag_seconds"] = lag }
            return s
        }
        let sinks = m.labels("vicinotify_sink_queue_depth", "sink").map { name -> [String: Any] in
            let deliveries = m.samples("vicinotify_deliveries_total").filter { $0.labels["sink"] == name }
            func outcome(_ o: String) -> Int { Int(deliveries.filter { $0.labels["outcome"] == o }.map(\.value).reduce(0, +)) }
            return ["name": name, "backlog": Int(m.value("vicinotify_sink_queue_depth", ["sink": name]) ?? 0),
                    "oldest_undelivered_seconds": m.value("vicinotify_sink_oldest_undelivered_age_seconds", ["sink": name]) ?? 0,
                    "dead_letters": Int(m.value("vicinotify_dead_letters", ["sink": name]) ?? 0),
                    "delivered": outcome("delivered"), "retried": outcome("retry")]
        }
        return ["ready": ready, "sources": sources, "sinks": sinks, "journal_bytes": Int(m.value("vicinotify_journal_bytes", [:]) ?? 0),
                "event_readers": Int(m.value("vicinotify_event_readers", [:]) ?? 0)]
    }

    static func table(_ r: [String: Any]) -> String {
        func row(_ fields: [String], _ widths: [Int]) -> String {
            zip(fields, widths).map { $1 == 0 ? $0 : $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
        }
        var lines = [row(["SOURCE", "UP", "AGENTS", "POLLS OK", "FAILED", "LAG"], [20, 6, 8, 10, 8, 0])]
        for s in r["sources"] as? [[String: Any]] ?? [] {
            lines.append(row(["\(s["name"] ?? "")", s["up"] as? Bool == true ? "yes" : "NO", "\(s["agents"] ?? 0)", "\(s["polls_ok"] ?? 0)",
                              "\(s["polls_failed"] ?? 0)", (s["lag_seconds"] as? Double).map { String(format: "%.0fs", $0) } ?? "-"], [20, 6, 8, 10, 8, 0]))
        }
        lines.append("")
        lines.append(row(["SINK", "BACKLOG", "OLDEST", "DEAD LETTERS", "DELIVERED", "RETRIED"], [20, 9, 10, 14, 11, 0]))
        for s in r["sinks"] as? [[String: Any]] ?? [] {
            let oldest = s["oldest_undelivered_seconds"] as? Double ?? 0
            lines.append(row(["\(s["name"] ?? "")", "\(s["backlog"] ?? 0)", oldest > 0 ? String(format: "%.0fs", oldest) : "-",
                              "\(s["dead_letters"] ?? 0)", "\(s["delivered"] ?? 0)", "\(s["retried"] ?? 0)"], [20, 9, 10, 14, 11, 0]))
        }
        let mb = Double(r["journal_bytes"] as? Int ?? 0) / 1_048_576
        lines.append("")
        lines.append(String(format: "journal %.1f MB · %d event readers · %@", mb, r["event_readers"] as? Int ?? 0,
                            r["ready"] as? Bool == true ? "ready" : "NOT READY (see /readyz)"))
        return lines.joined(separator: "\n")
    }
}
