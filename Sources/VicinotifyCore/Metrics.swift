import Synchronization

/// Counters, gauges and histograms, rendered in the Prometheus text exposition format (version 0.0.4).
///
/// Families are declared once with their help text; samples are keyed by their label values.
/// Safe to update from any thread.
public final class Metrics: Sendable {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    private struct Family {
        var kind: Kind
        var help: String
        var buckets: [Double] = []
        /// Rendered label set (`{a="x",b="y"}` or "") -> value, or bucket counts + sum + count.
        var values: [String: Double] = [:]
        var histograms: [String: (counts: [Int], sum: Double, count: Int)] = [:]
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    public func declare(_ name: String, _ kind: Kind, help: String, buckets: [Double] = []) {
        families.withLock { f in
            if f[name] == nil { f[name] = Family(kind: kind, help: help, buckets: buckets.sorted()) }
        }
    }

    public func add(_ name: String, _ labels: [(String, String)] = [], _ amount: Double = 1) {
        let key = Self.render(labels)
        families.withLock { $0[name]?.values[key, default: 0] += amount }
    }

    public func set(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        let key = Self.render(labels)
        families.withLock { $0[name]?.values[key] = value }
    }

    /// Replaces the samples of a family that carry the label `matching` with `samples`, e.g. one
    /// source's agents by status after its poll; other sources' samples stay.
    public func replace(_ name: String, matching: (String, String), with samples: [([(String, String)], Double)]) {
        let marker = "\(matching.0)=\"\(Self.escape(matching.1))\""
        families.withLock { f in
            guard var family = f[name] else { return }
            family.values = family.values.filter { !$0.key.contains(marker) }
            for (labels, value) in samples { family.values[Self.render(labels)] = value }
            f[name] = family
        }
    }

    public func observe(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        let key = Self.render(labels)
        families.withLock { f in
            guard var family = f[name] else { return }
            var h = family.histograms[key] ?? (Array(repeating: 0, count: family.buckets.count), 0, 0)
            for (i, bound) in family.buckets.enumerated() where value <= bound { h.counts[i] += 1 }
            h.sum += value
            h.count += 1
            family.histograms[key] = h
            f[name] = family
        }
    }

    /// The current value of a counter or gauge sample (tests, health checks).
    public func value(_ name: String, _ labels: [(String, String)] = []) -> Double? {
        families.withLock { $0[name]?.values[Self.render(labels)] }
    }

    /// Every family as Prometheus text.
    public func exposition() -> String {
        families.withLock { f in
            var out = ""
            for name in f.keys.sorted() {
                let family = f[name]!
                out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
                for key in family.values.keys.sorted() {
                    out += "\(name)\(key) \(Self.number(family.values[key]!))\n"
                }
                for key in family.histograms.keys.sorted() {
                    let h = family.histograms[key]!
                    for (i, bound) in family.buckets.enumerated() {
                        out += "\(name)_bucket\(Self.adding(key, "le", Self.number(bound))) \(h.counts[i])\n"
                    }
                    out += "\(name)_bucket\(Self.adding(key, "le", "+Inf")) \(h.count)\n"
                    out += "\(name)_sum\(key) \(Self.number(h.sum))\n\(name)_count\(key) \(h.count)\n"
                }
            }
            return out
        }
    }

    static func render(_ labels: [(String, String)]) -> String {
        labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func adding(_ key: String, _ label: String, _ value: String) -> String {
        key.isEmpty ? "{\(label)=\"\(value)\"}" : String(key.dropLast()) + ",\(label)=\"\(value)\"}"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
