import CurlHTTP
import Daemon
import Foundation
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// The event contract: `schemas/` is what `scripts/generate-schemas` writes, the daemon serves each file
/// at `/v1/schemas/<type>`, and every event names its schema in `dataschema`. (`ContractTests` runs the
/// independent validator; `scripts/test` runs it over every event the whole suite delivered.)
@Suite struct EventSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theFilesAreWhatTheGeneratorWrites() async throws {
        let dir = TemporaryDirectory("vn-schemas")
        defer { dir.remove() }
        #expect(await Shell.run("python3 '\(Self.root.appendingPathComponent("scripts/generate-schemas").path)' '\(dir.path)'") == 0)
        let committed = Self.root.appendingPathComponent("schemas").path
        let names = try FileManager.default.contentsOfDirectory(atPath: committed).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == names)
        #expect(names.count == EventType.allCases.count + 3, "one per event type, the envelope, the configuration and webhooks files")
        for name in names {
            let fresh = try Data(contentsOf: URL(fileURLWithPath: dir.file(name)))
            #expect(fresh == (try Data(contentsOf: URL(fileURLWithPath: committed + "/" + name))), "\(name): run scripts/generate-schemas")
        }
    }

    @Test func eachTypeHasASchemaServedUnderItsName() async throws {
        for type in EventType.allCases {
            let file = try Data(contentsOf: Self.root.appendingPathComponent("schemas/\(type.rawValue).json"))
            let schema = try #require(try JSONSerialization.jsonObject(with: file) as? [String: Any])
            #expect(schema["$id"] as? String == type.dataSchema)
        }
        let sim = try await RunningSimulator.start(agents: 1)
        var config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: VICIdialSource(
            name: "s", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.2, timeout: 3), eventSource: "vicidial://s")])
        config.httpListen = ("127.0.0.1", 0)
        let logs = CapturedLogs()
        let sink = RecordingSink()
        let run = Task { try await Daemon(configuration: config, sinks: [sink], logger: logs.logger()).run(drainTimeout: 1) }
        #expect(await logs.wait { $0.contains { $0.contains("serving /metrics") } })
        let port = Int(logs.all.first { $0.contains("serving /metrics") }?.split(separator: ":").last?.prefix { $0.isNumber } ?? "") ?? 0
        for name in ["envelope", EventType.statusChanged.rawValue, EventType.queueChanged.rawValue] {
            let answer = try await sim.http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/schemas/\(name)", timeout: 5))
            #expect(answer.status == 200 && answer.header("Content-Type") == "application/schema+json")
            #expect(answer.body == Array(try Data(contentsOf: Self.root.appendingPathComponent("schemas/\(name).json"))))
        }
        let missing = try await sim.http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/schemas/nope", timeout: 5))
        #expect(missing.status == 404)
        #expect(await sink.wait { !$0.isEmpty })
        #expect(await sink.events.allSatisfy { $0.data.isEmpty == false && String(decoding: $0.json, as: UTF8.self).contains(#""dataschema":"\#($0.type.dataSchema)""#) })
        run.cancel()
        _ = try await run.value
        await sim.stop()
    }
}
