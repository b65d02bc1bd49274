import VicinotifyCore

/// Where each event goes in NATS: a template per kind of event, with `{source}` (the configured source name),
/// `{agent}` and `{type}` (the type's last word, `status_changed`). Each value becomes one subject token:
/// `.`, `*`, `>`, spaces and control characters in it become `_`.
public struct NatsSubjects: Sendable, Equatable {
    /// Agent events: by default one subject per agent, so a stream's last message per subject is that
    /// agent's current state.
    public var agent = "vicidial.{source}.agent.{agent}" { didSet { agentParts = Self.parts(agent) } }
    /// Source health events.
    public var source = "vicidial.{source}.source" { didSet { sourceParts = Self.parts(source) } }
    private var agentParts = Self.parts("vicidial.{source}.agent.{agent}")
    private var sourceParts = Self.parts("vicidial.{source}.source")

    public init() {}

    public func subject(for e: EncodedEvent) -> String {
        let isAgent = e.type.isAgentEvent
        var out = ""
        out.reserveCapacity(64)
        for part in isAgent ? agentParts : sourceParts {
            switch part {
            case "{source}": out += Self.token(e.sourceName)
            case "{agent}": out += Self.token(isAgent ? e.subject : "")
            case "{type}": out += Self.token(String(e.type.rawValue.split(separator: ".").last ?? ""))
            default: out += part
            }
        }
        return out
    }

    /// `template` cut into literal text and `{placeholder}`s.
    static func parts(_ template: String) -> [Substring] {
        var parts: [Substring] = []
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { parts.append(rest[..<open]) }
            parts.append(rest[open...close])
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(rest) }
        return parts
    }

    /// `text` as one subject token.
    static func token(_ text: String) -> String {
        guard !text.isEmpty else { return "_" }
        if !text.utf8.contains(where: { $0 == 0x2E || $0 == 0x2A || $0 == 0x3E || $0 <= 0x20 || $0 == 0x7F }) { return text }
        return String(text.unicodeScalars.map { c -> Character in
            c == "." || c == "*" || c == ">" || c.value <= 0x20 || c.value == 0x7F ? "_" : Character(c)
        })
    }

    /// Why `template` cannot make valid subjects, or `nil`.
    static func problem(with template: String) -> String? {
        if template.isEmpty { return "empty" }
        let tokens = template.split(separator: ".", omittingEmptySubsequences: false)
        if tokens.contains(where: \.isEmpty) { return "has an empty token (\"..\", or a dot at an end)" }
        if tokens.contains(where: { $0.contains("*") || $0.contains(">") || $0.contains(" ") }) { return "has a wildcard or a space" }
        let unknown = template.split(separator: "{").dropFirst().compactMap { $0.split(separator: "}").first }
            .filter { !["source", "agent", "type"].contains($0) }
        return unknown.isEmpty ? nil : "unknown placeholder {\(unknown[0])}: use {source}, {agent}, {type}"
    }
}
