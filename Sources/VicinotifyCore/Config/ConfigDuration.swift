/// Durations in configuration files: `"250ms"`, `"1s"`, `"5m"`, `"24h"`, `"1.5s"`, `"1m30s"`.
public enum ConfigDuration {
    /// The longest duration any setting takes: a year. Longer ones overflow timers.
    public static let maximum = 366.0 * 86400

    /// Seconds, or `nil` when `text` is not a duration.
    public static func parse(_ text: String) -> Double? {
        var total = 0.0
        var rest = Substring(text)
        while rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        while rest.last == " " || rest.last == "\t" { rest = rest.dropLast() }
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number), value.isFinite else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
        }
        return total.isFinite ? total : nil
    }

    /// The shortest spelling `parse` reads back: `250ms`, `5s`, `5m`, `1h30m`.
    public static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        var s = Int(seconds.rounded())
        var out = ""
        if s >= 3600 { out += "\(s / 3600)h"; s %= 3600 }
        if s >= 60 { out += "\(s / 60)m"; s %= 60 }
        if s > 0 || out.isEmpty { out += "\(s)s" }
        return out
    }
}

