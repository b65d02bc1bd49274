import Foundation

/// The `chat` body of a webhook endpoint: `{"text": ...}` with one readable line per event, which Slack,
/// Mattermost and Teams incoming webhooks accept ("09:14 agent002 (Bond, James) PAUSED BREAK for 15m -
/// rule long_break"). Times are the daemon's local time. Text from VICIdial (names, codes, caller ids)
/// is neutralised for all three: see `neutralise`.
public enum ChatMessage {
    public static func body(_ events: [[UInt8]], timeZone: TimeZone = .current) -> [UInt8] {
        let text = neutralise(events.map { line(for: $0, timeZone: timeZone) }.joined(separator: "\n"))
        return Array((try? JSONSerialization.data(withJSONObject: ["text": text], options: [.withoutEscapingSlashes])) ?? Data())
    }

    /// Text that no platform reads as markup, and that looks the same: `&`, `<`, `>` become entities
    /// (Slack's `<!channel>`, `<url|text>`; Mattermost and Teams render entities), and an invisible word
    /// joiner (U+2060) follows each `@` (mentions: `@channel`, `@here`, `@all`, `@user`), sits inside
    /// `](` and `![` (Markdown links and images) and after the colon of `://` (links made from URLs).
    public static func neutralise(_ text: String) -> String {
        let joiner: Character = "\u{2060}"
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        let chars = Array(text)
        for (i, c) in chars.enumerated() {
            let next = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "@": out.append(c); out.append(joiner)
            case "]" where next == "(", "!" where next == "[": out.append(c); out.append(joiner)
            case ":" where next == "/" && i + 2 < chars.count && chars[i + 2] == "/": out.append(c); out.append(joiner)
            default: out.append(c)
            }
        }
        return out
    }

    /// One event as a line.
    public static func line(for json: [UInt8], timeZone: TimeZone = .current) -> String {
        guard let event = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return "(unreadable event)" }
        let type = event["type"] as? String ?? ""
        let subject = event["subject"] as? String ?? ""
        let data = event["data"] as? [String: Any] ?? [:]
        let clock = clockTime(event["time"] as? String, timeZone)
        if type.hasPrefix("vicidial.source.") {
            let why = [data["reason"] as? String, data["message"] as? String].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return type.hasSuffix(".down") ? "\(clock) source \(subject) DOWN: \(why)"
                : "\(clock) source \(subject) up again after \(duration(data["down_seconds"] as? Double ?? 0))"
        }
        if type.hasPrefix("vicidial.queue.") {
            let now = data["current"] as? [String: Any] ?? [:]
            let oldest = (now["oldest_wait_seconds"] as? Int).map { ", oldest \(duration(Double($0)))" } ?? ""
            let figures = "\(now["calls_waiting"] as? Int ?? 0) waiting\(oldest), \(now["agents_ready"].flatMap { $0 as? Int }.map(String.init) ?? "?") ready"
            let rule = "rule \(data["rule"] as? String ?? "?") (\(data["condition"] as? String ?? ""))"
            switch type {
            case "vicidial.queue.threshold_exceeded": return "\(clock) queue \(data["queue"] as? String ?? subject): \(figures) - \(rule)"
            case "vicidial.queue.threshold_cleared":
                return "\(clock) queue \(data["queue"] as? String ?? subject) back to normal after \(duration(data["seconds"] as? Double ?? 0)): "
                    + "\(figures) - \(rule)"
            default: return "\(clock) queue \(data["queue"] as? String ?? subject): \(figures)"
            }
        }
        let name = (data["full_name"] as? String).map { $0.isEmpty ? "" : " (\($0))" } ?? ""
        let who = "\(clock) \(subject)\(name)"
        let current = data["current"] as? [String: Any]
        let previous = data["previous"] as? [String: Any]
        let since = (data["state_since"] as? String).flatMap(parse)
        let timeIn = since.map { " for " + duration(max(0, (parse(event["time"] as? String ?? "") ?? $0).timeIntervalSince($0))) } ?? ""
        switch type {
        case "vicidial.agent.threshold_exceeded":
            return "\(who) \(state(current)) for \(duration(data["seconds"] as? Double ?? 0)) - rule \(data["rule"] as? String ?? "?")"
        case "vicidial.agent.logged_in":
            return "\(who) logged in to \(data["campaign_id"] as? String ?? ""): \(state(current))"
        case "vicidial.agent.logged_out":
            return "\(who) logged out (was \(state(previous)))"
        case "vicidial.agent.status_changed":
            let lasted = (data["previous_state_seconds"] as? Double).map { " after " + duration($0) } ?? ""
            return "\(who) \(state(previous)) → \(state(current))\(lasted)"
        case "vicidial.agent.call_changed":
            return "\(who) \(state(current)): call \(current?["callerid"] as? String ?? "")"
        case "vicidial.agent.heartbeat":
            return "\(who) \(state(current))\(timeIn)"
        default:
            return "\(who) updated: \((data["changed"] as? [String] ?? []).joined(separator: ", "))"
        }
    }

    /// Status, sub-status and pause code, as the real-time report shows them: "PAUSED BREAK", "INCALL DEAD".
    static func state(_ s: [String: Any]?) -> String {
        guard let s else { return "-" }
        let parts = ["status", "sub_status", "pause_code"].compactMap { s[$0] as? String }.filter { !$0.isEmpty }
        let type = ((s["call_type"] ?? s["call_type_hint"]) as? String).flatMap { $0.isEmpty ? nil : " (\($0))" } ?? ""
        return parts.joined(separator: " ") + type
    }

    /// "42s", "15m", "1h05m".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + (s % 60 == 0 || s >= 600 ? "" : String(format: "%02ds", s % 60)) }
        return "\(s / 3600)h" + String(format: "%02dm", s % 3600 / 60)
    }

    private static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }

    private static func clockTime(_ text: String?, _ zone: TimeZone) -> String {
        guard let date = text.flatMap(parse) else { return "--:--" }
        let f = DateFormatter()
        f.timeZone = zone
        f.dateFormat = "HH:mm"
        return f.string(from: date)
    }
}
