/// The samples of a Prometheus text exposition (`/metrics`): `name{label="value",…} number` lines.
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let all: [Sample]

    init(_ text: String) {
        all = text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let head = line[..<space]
            guard let brace = head.firstIndex(of: "{") else { return Sample(name: String(head), labels: [:], value: value) }
            var labels: [String: String] = [:]
            var rest = head[head.index(after: brace)...].dropLast()  // without the closing brace
            while let eq = rest.firstIndex(of: "=") {
                let key = String(rest[..<eq]).trimmingPrefix(",")
                var value = "", i = rest.index(eq, offsetBy: 2), escaped = false
                while i < rest.endIndex, escaped || rest[i] != "\"" {
                    if !escaped, rest[i] == "\\" { escaped = true } else { value.append(rest[i]); escaped = false }
                    i = rest.index(after: i)
                }
                labels[String(key)] = value
                rest = i < rest.endIndex ? rest[rest.index(after: i)...] : ""
            }
            return Sample(name: String(head[..<brace]), labels: labels, value: value)
        }
    }

    func samples(_ name: String) -> [Sample] { all.filter { $0.name == name } }

    /// The value of `name` with exactly these labels.
    func value(_ name: String, _ labels: [String: String]) -> Double? { all.first { $0.name == name && $0.labels == labels }?.value }

    /// The values of `label` among `name`'s samples, sorted.
    func labels(_ name: String, _ label: String) -> [String] { Set(samples(name).compactMap { $0.labels[label] }).sorted() }
}
