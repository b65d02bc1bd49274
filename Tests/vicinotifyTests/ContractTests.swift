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

    /// The configuration's JSON Schema accepts the shipped examples and what `vicinotify init` writes, and
    /// refuses an unknown key and a malformed duration.
    @Test func theConfigurationSchemaAcceptsTheExamplesAndInitsFiles() async throws {
        let dir = TemporaryDirectory("vn-config-schema")
        defer { dir.remove() }
        let initRun = try await CommandLineTests.run(["init", "--dir", dir.path, "--url", "http://127.0.0.1:9/vicidial/non_agent_api.php",
                                                      "--webhook", "http://127.0.0.1:9/hook"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        let validator = Self.root.appendingPathComponent("Tests/Contract/validate_json.py").path
        func check(_ schema: String, _ files: [String]) async throws -> CommandLineTests.Output {
            try await CommandLineTests.run(executable: Self.python, ["python3", validator, Self.root.appendingPathComponent("schemas/" + schema).path] + files)
        }
        let configs = try await check("config.schema.json", [Self.root.appendingPathComponent("config.example.json").path, dir.file("config.json")])
        #expect(configs.status == 0, "\(configs.stdout)\(configs.stderr)")
        let hooks = try await check("webhooks.schema.json", [Self.root.appendingPathComponent("webhooks.example.json").path, dir.file("webhooks.json")])
        #expect(hooks.status == 0, "\(hooks.stdout)\(hooks.stderr)")
        try #"{"sources": [{"name": "a", "url": "http://x/y", "interval": "soon", "colour": 1}]}"#
            .write(toFile: dir.file("bad.json"), atomically: true, encoding: .utf8)
        let bad = try await check("config.schema.json", [dir.file("bad.json")])
        #expect(bad.status == 1 && bad.stdout.contains("sources/0/interval") && bad.stdout.contains("colour"), "\(bad.stdout)")
    }

    /// `docs/asyncapi.yaml` against the official AsyncAPI 3.0.0 JSON Schema, with every reference resolving
    /// and a message per event type; an AsyncAPI 2 operation (`publish`) is refused.
    @Test func theAsyncAPIDocumentIsValidAsyncAPI3() async throws {
        let validator = Self.root.appendingPathComponent("Tests/Contract/validate_asyncapi.py").path
        let doc = Self.root.appendingPathComponent("docs/asyncapi.yaml").path, schemas = Self.root.appendingPathComponent("schemas").path
        let good = try await CommandLineTests.run(executable: Self.python, ["python3", validator, doc, schemas])
        #expect(good.status == 0 && good.stdout.contains("12 messages"), "\(good.stdout)\(good.stderr)")
        let dir = Self.root.appendingPathComponent("docs").path
        let broken = dir + "/.broken-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: broken) }
        try String(contentsOfFile: doc, encoding: .utf8).replacingOccurrences(of: "action: send", with: "action: publish")
            .write(toFile: broken, atomically: true, encoding: .utf8)
        let bad = try await CommandLineTests.run(executable: Self.python, ["python3", validator, broken, schemas])
        #expect(bad.status == 1 && bad.stdout.contains("action"), "\(bad.stdout)")
    }
}
