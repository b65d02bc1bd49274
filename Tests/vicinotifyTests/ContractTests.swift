import Foundation
import TestSupport
import Testing

/// The event contract checked by an independent validator: Python's jsonschema
/// (`Tests/Contract/validate_events.py`) against `schemas/`.
@Suite struct ContractTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = URL(fileURLWithPath: "/usr/bin/env")

    /// The demo's events through the independent validator: it must accept them, and refuse a broken one.
    @Test func pythonsJSONSchemaAcceptsTheDemosEventsAndRefusesABrokenOne() async throws {
        let demo = try await CommandLineTests.run(["demo", "--agents", "8", "--seed", "3", "--duration", "2", "--interval", "0.2", "--tick", "0.2"])
        let dir = TemporaryDirectory("vn-contract")
        defer { dir.remove() }
        try demo.stdout.write(toFile: dir.file("demo.jsonl"), atomically: true, encoding: .utf8)
        let broken = demo.stdout.split(separator: "\n").first.map { $0.replacingOccurrences(of: #""lead_id":"#, with: #""lead_id":"x","was":"#) } ?? ""
        try broken.write(toFile: dir.file("broken.jsonl"), atomically: true, encoding: .utf8)
        let validator = Self.root.appendingPathComponent("Tests/Contract/validate_events.py").path
        let good = try await CommandLineTests.run(executable: Self.python, ["python3", validator, Self.root.appendingPathComponent("schemas").path, dir.file("demo.jsonl")])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("\"vicidial.agent.logged_in\""))
        let bad = try await CommandLineTests.run(executable: Self.python, ["python3", validator, Self.root.appendingPathComponent("schemas").path, dir.file("broken.jsonl")])
        #expect(bad.status == 1 && bad.stdout.contains("lead_id"), "\(bad.stdout)")
    }
}
