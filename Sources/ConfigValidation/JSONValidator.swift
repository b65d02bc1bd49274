import Foundation
import VicinotifyCore

/// Walks a JSON configuration, collecting every problem (each naming its JSON path) instead of stopping
/// at the first, and warnings for what is allowed but probably wrong. Every configuration block (sources,
/// each sink kind) reads its keys through these helpers, so paths and messages look alike everywhere.
public struct JSONValidator {
    public let environment: [String: String]
    /// Relative paths are resolved against it; a nested file (the webhooks file) changes it while read.
    public var baseDirectory: String
    /// False for tools that only read the journal: an unset `*_env` secret is then no problem.
    public let requireSecrets: Bool
    public private(set) var problems: [String] = []
    public private(set) var warnings: [String] = []

    public init(environment: [String: String], baseDirectory: String, requireSecrets: Bool = true) {
        self.environment = environment
        self.baseDirectory = baseDirectory
        self.requireSecrets = requireSecrets
    }

    public mutating func warn(_ path: String, _ message: String) { warnings.append("\(path): \(message)") }

    public mutating func problem(_ path: String, _ message: String) { problems.append("\(path): \(message)") }

    /// The JSON path of `key` inside `path` (`$` is the root, whose keys stand alone).
    public static func join(_ path: String, _ key: String) -> String { path == "$" ? key : path + "." + key }

    public mutating func object(_ value: Any?, _ path: String, allowed: [String]) -> [String: Any]? {
        guard let dict = value as? [String: Any] else {
            problem(path, "expected an object")
            return nil
        }
        // Keys starting with "//" are comments (`vicinotify init` writes some): JSON has no other way.
        for key in dict.keys.sorted() where !allowed.contains(key) && !key.hasPrefix("//") {
            problem(path == "$" ? key : Self.join(path, key), "unknown key (allowed: \(allowed.joined(separator: ", ")))")
        }
        return dict
    }

    public mutating func string(_ d: [String: Any], _ key: String, _ path: String, required: Bool = false) -> String? {
        guard let value = d[key] else {
            if required { problem(Self.join(path, key), "missing") }
            return nil
        }
        guard let s = value as? String else { problem(Self.join(path, key), "expected a string"); return nil }
        if required && s.isEmpty { problem(Self.join(path, key), "must not be empty") }
        return s
    }

    public mutating func strings(_ d: [String: Any], _ key: String, _ path: String) -> [String] {
        guard let value = d[key] else { return [] }
        guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
            problem(Self.join(path, key), "expected a list of strings")
            return []
        }
        let out = list as! [String]
        for (i, s) in out.enumerated() where s.isEmpty || s.contains("|") {
            problem("\(path).\(key)[\(i)]", "must be non-empty and must not contain '|'")
        }
        return out
    }

    /// A duration within `range` (seconds); every duration has bounds, so none can overflow a timer.
    public mutating func duration(_ d: [String: Any], _ key: String, _ path: String, default def: Double,
                           allowZero: Bool = false, range: ClosedRange<Double> = 0.001...ConfigDuration.maximum) -> Double {
        guard let value = d[key] else { return def }
        guard let text = value as? String, let seconds = ConfigDuration.parse(text), seconds > 0 || (allowZero && seconds == 0) else {
            problem(Self.join(path, key), "not a duration (write \"250ms\", \"1s\", \"5m\", \"24h\")")
            return def
        }
        guard range.contains(seconds) || (allowZero && seconds == 0) else {
            problem(Self.join(path, key), "must be from \(ConfigDuration.format(range.lowerBound)) to \(ConfigDuration.format(range.upperBound))")
            return def
        }
        return seconds
    }

    /// JSON `true`/`false` (Foundation on Linux also bridges the numbers 0 and 1 to `Bool`).
    public static func isBoolean(_ value: Any) -> Bool {
        (value as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
    }

    public mutating func bool(_ d: [String: Any], _ key: String, _ path: String) -> Bool? {
        guard let value = d[key] else { return nil }
        guard Self.isBoolean(value), let b = value as? Bool else { problem(Self.join(path, key), "expected true or false"); return nil }
        return b
    }

    public mutating func int(_ d: [String: Any], _ key: String, _ path: String, default def: Int, range: ClosedRange<Int>) -> Int {
        guard let value = d[key] else { return def }
        guard let n = value as? NSNumber, !Self.isBoolean(value), Double(n.intValue) == n.doubleValue, range.contains(n.intValue) else {
            problem(Self.join(path, key), "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            return def
        }
        return n.intValue
    }

    /// A sink's `retry` block; every sink accepts the same one.
    public mutating func retry(_ value: Any, _ p: String) -> RetryPolicy {
        let def = RetryPolicy()
        guard let o = object(value, p, allowed: ["initial", "max_delay", "max_age", "max_attempts"]) else { return def }
        return RetryPolicy(initial: duration(o, "initial", p, default: def.initial, range: 0.001...86400),
                           maxDelay: duration(o, "max_delay", p, default: def.maxDelay, range: 0.001...86400),
                           maxAge: duration(o, "max_age", p, default: def.maxAge),
                           maxAttempts: int(o, "max_attempts", p, default: 0, range: 0...1_000_000))
    }

    /// A sink's `heartbeat` period (every sink accepts it), checked against the sink's `filter`.
    public mutating func heartbeat(_ d: [String: Any], _ p: String, filter: EventFilter = EventFilter()) -> Double? {
        guard d["heartbeat"] != nil else { return nil }
        let period = duration(d, "heartbeat", p, default: 0, range: 1...86400)
        if period > 0, !filter.allowsType(.heartbeat) {
            problem(Self.join(p, "heartbeat"), "the sink's events list leaves out vicidial.agent.heartbeat: add it, or drop heartbeat")
        }
        return period > 0 ? period : nil
    }

    /// A secret given as `key`, by the name of an environment variable as `key_env`, or as a file holding
    /// it on one line as `key_file` (relative to the configuration's folder); one of them.
    /// - Returns: the value and the JSON path it came from; `nil` when absent or unset.
    public mutating func secret(_ d: [String: Any], _ key: String, _ p: String, required: Bool) -> (value: String, path: String)? {
        let envKey = key + "_env", fileKey = key + "_file"
        let given = [key, envKey, fileKey].filter { d[$0] != nil }
        guard given.count <= 1 else {
            problem(p, "give one of \(key), \(envKey) and \(fileKey), not \(given.joined(separator: " and "))")
            return nil
        }
        if let value = string(d, key, p) { return (value, p + "." + key) }
        if let env = string(d, envKey, p) {
            if let value = environment[env], !value.isEmpty { return (value, p + "." + envKey) }
            if requireSecrets { problem(p + "." + envKey, "environment variable \(env) is not set") }
        } else if let file = string(d, fileKey, p) {
            if let text = try? String(contentsOfFile: resolve(file), encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                return (text.trimmingCharacters(in: .newlines), p + "." + fileKey)
            }
            if requireSecrets { problem(p + "." + fileKey, "cannot read a secret from \(resolve(file))") }
        } else if required {
            problem(p, "needs \(key), \(envKey) or \(fileKey)")
        }
        return nil
    }

    /// A required `name` of letters, digits, '-' and '_'.
    public mutating func name(_ d: [String: Any], _ p: String) -> String {
        let name = string(d, "name", p, required: true) ?? ""
        if !name.isEmpty, !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            problem(p + ".name", "use letters, digits, '-' and '_' only")
        }
        return name
    }

    /// A required http(s) `url` with a host; the components are `nil` when it is not one.
    public mutating func httpURL(_ d: [String: Any], _ p: String) -> (String, URLComponents?) {
        let url = string(d, "url", p, required: true) ?? ""
        guard !url.isEmpty else { return (url, nil) }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            problem(p + ".url", "must not contain spaces, control characters or non-ASCII characters (percent-encode them)")
            return (url, nil)
        }
        if url.contains("#") { problem(p + ".url", "must not carry a fragment ('#...')") }
        if let port = URLComponents(string: url)?.port, !(1...65535).contains(port) {
            problem(p + ".url", "port \(port) is not from 1 to 65535")
            return (url, nil)
        }
        guard let u = URLComponents(string: url), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = u.host, !host.isEmpty else {
            problem(p + ".url", "not an http(s) URL")
            return (url, nil)
        }
        return (url, u)
    }

    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

}
