import ArgumentParser
import Foundation

/// `vicinotify queues`: the watched queues now, from a running daemon's `GET /v1/queues`.
struct QueuesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queues",
        abstract: "Print the watched queues now from a running daemon: a table on a terminal, its JSON in a pipe.",
        discussion: """
            A figure the source cannot give (the API has no waits) shows as "-".

            Examples:
              vicinotify queues
              vicinotify queues --config /etc/vicinotify/config.json
              vicinotify queues --json | jq '.queues[] | {queue, waiting: .figures.calls_waiting}'
            """)

    @OptionGroup var daemon: DaemonAddress
    @Flag(help: "JSON even on a terminal.") var json = false
    @Flag(help: "A table even into a pipe (watch, logs).") var table = false

    func run() async throws {
        let body = try await daemon.get("/v1/queues", command: "queues")
        if json || (isatty(1) == 0 && !table) {
            FileHandle.standardOutput.write(Data(body))
            return
        }
        print(Self.table(body))
    }

    /// One line per queue: waiting, oldest wait, agents ready, in calls, logged in, today's drop % and
    /// service level.
    static func table(_ body: [UInt8]) -> String {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return "" }
        var lines = ["SOURCE      QUEUE               KIND      WAITING  OLDEST  READY  IN CALL  LOGGED IN  DROP %  SL %"]
        for q in root["queues"] as? [[String: Any]] ?? [] {
            let f = q["figures"] as? [String: Any] ?? [:]
            func n(_ key: String) -> String { (f[key] as? Int).map(String.init) ?? "-" }
            let oldest = (f["oldest_wait_seconds"] as? Int).map { String(format: "%d:%02d", $0 / 60, $0 % 60) } ?? "-"
            func percent(_ key: String) -> String { (f[key] as? Double).map { String(format: "%.2f", $0) } ?? "-" }
            let fields = ["\(q["source"] ?? "")", "\(q["queue"] ?? "")", "\(q["kind"] ?? "")", n("calls_waiting"), oldest, n("agents_ready"),
                          n("agents_in_call"), n("agents_logged_in"), percent("drop_percent"), percent("service_level_percent")]
            let widths = [12, 20, 10, 9, 8, 7, 9, 11, 8, 0]
            lines.append(zip(fields, widths).map { $1 == 0 ? $0 : $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
