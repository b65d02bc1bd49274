import VicinotifyCore

/// Where each event goes in NATS: a template per kind of event, with `{source}` (the configured source name),
/// `{agent}` and `{type}` (the type's last word, `status_changed`). Each value becomes one subject token:
/// `.`, `*`, `>`, spaces and control characters in it become `_`.
public struct NatsSubjects: Sendable, Equatable {
    /// Agent events: by default one subject per agent, so a stream's last message per subject is that
    /// agent's current state.
    public var agent = "vicidial.{source}.agent.{agent}"
    /// Source health events.
    public var source = "vicidial.{source}.source"

    public init() {}

    public func subject(for e: EncodedEvent) -> String {
        let template = e.type.isAgentEvent ? agent : source
        let type = e.type.rawValue.split(separator: ".").last.map(String.init) ?? ""
        return template.replacingOccurrences(of: "{source}", with: Self.token(e.sourceName))
            .replacingOccurrences(of: "{agent}", with: Self.token(e.type.isAgentEvent ? e.subject : ""))
            .replacingOccurrences(of: "{type}", with: Self.token(type))
    }

    /// `text` as one subject token.
    static func token(_ text: String) -> String {
        guard !text.isEmpty else { return "_" }
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
