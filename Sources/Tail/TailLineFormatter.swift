import Foundation

/// One readable line per event: local time, agent, what happened, state before → after (status, sub-status
/// and pause code, as the real-time report shows them), campaign, and the source the event came from.
public struct TailLineFormatter {
    private let clock: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f
    }()
    private let parser = ISO8601DateFormatter()

    public init() { parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }

    public func line(for json: String) -> String {
        guard let event = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
        let time = (event["time"] as? String).flatMap(parser.date(from:)).map(clock.string(from:)) ?? "--:--:--"
        let type = (event["type"] as? String ?? "?").split(separator: ".").last.map(String.init) ?? "?"
        let subject = event["subject"] as? String ?? ""
        let data = event["data"] as? [String: Any] ?? [:]
        if (event["type"] as? String)?.hasPrefix("vicidial.source.") == true {
            let why = [data["reason"] as? String, data["message"] as? String].compactMap { $0 }.joined(separator: ": ")
            return "\(time)  \(pad(subject, 12))  source \(type)  \(why)"
        }
        if (event["type"] as? String)?.hasPrefix("vicidial.queue.") == true {
            let now = data["current"] as? [String: Any] ?? [:]
            func n(_ key: String) -> String { (now[key] as? Int).map(String.init) ?? "-" }
            let oldest = (now["oldest_wait_seconds"] as? Int).map { ", oldest \($0)s" } ?? ""
            let rule = (data["rule"] as? String).map { "  rule \($0) (\(data["condition"] as? String ?? ""))" } ?? ""
            return "\(time)  \(pad(subject, 12))  \(type == "changed" ? "queue" : type)  waiting \(n("calls_waiting"))\(oldest), "
                + "ready \(n("agents_ready")), in calls \(n("agents_in_call")), logged in \(n("agents_logged_in"))\(rule)"
        }
        func status(_ state: Any?) -> String {
            guard let s = state as? [String: Any], let status = s["status"] as? String else { return "-" }
            let sub = (s["sub_status"] as? String).map { $0.isEmpty ? "" : " " + $0 } ?? ""
            let pause = s["pause_code"] as? String ?? ""
            return status + sub + (pause.isEmpty || status != "PAUSED" ? "" : " (\(pause))")
        }
        let campaign = data["campaign_id"] as? String ?? ""
        let source = (event["source"] as? String).map { "  [" + ($0.hasPrefix("vicidial://") ? String($0.dropFirst(11)) : $0) + "]" } ?? ""
        return "\(time)  \(pad(subject, 12))  \(pad(type, 14))  \(status(data["previous"])) → \(status(data["current"]))  \(campaign)\(source)"
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
