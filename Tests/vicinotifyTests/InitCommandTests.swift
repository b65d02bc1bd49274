import Foundation
import Synchronization
import TestSupport
import Testing

/// The first hour: `init` writes a working configuration for "POST to my CRM when an agent changes",
/// `webhooks test` sends one signed sample event, and the daemon then delivers real changes.
@Suite struct InitCommandTests {
    @Test func initThenTestSendThenRealEvents() async throws {
        let sim = try await RunningSimulator.start(agents: 2)
        let dir = TemporaryDirectory("vn-init")
        defer { dir.remove() }
        let placeholder = "https://crm.example.com/hooks/vicidial"
        let made = try await CommandLineTests.run(["init", "--dir", dir.path, "--url", sim.apiURL, "--user", "apiuser"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("vicinotify webhooks test crm --config"))
        let secretPath = dir.file("crm.secret")
        let mode = try FileManager.default.attributesOfItem(atPath: secretPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let secret = try String(contentsOfFile: secretPath, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(secret.hasPrefix("whsec_"))
        #expect(try await CommandLineTests.run(["init", "--dir", dir.path]).status != 0, "never overwrites without --force")

        let receiver = try await WebhookReceiver.start(secrets: [secret])
        defer { receiver.stop() }
        let hooks = dir.file("webhooks.json")
        try String(contentsOfFile: hooks, encoding: .utf8).replacingOccurrences(of: placeholder, with: receiver.url("/hook"))
            .write(toFile: hooks, atomically: true, encoding: .utf8)
        let env = ["VICIDIAL_PASS": "apipass"]
        let check = try await CommandLineTests.run(["check-config", "--config", dir.file("config.json")], environment: env)
        #expect(check.status == 0, "the written configuration is valid, comments and all: \(check.stderr)")

        let test = try await CommandLineTests.run(["webhooks", "test", "crm", "--config", dir.file("config.json")], environment: env)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("delivered"))
        let receipts = try await receiver.receipts("/hook")
        #expect(receipts.count == 1 && receipts.first?.signaturesValid == 1, "one signed request")
        #expect(receipts.first?.types == ["vicidial.agent.status_changed"] && receipts.first?.subjects == ["vicinotify-test"])
        #expect(!test.stdout.contains(secret) && !test.stderr.contains(secret))

        try await receiver.behave("/hook", ["status": 500, "count": 1])
        let failing = try await CommandLineTests.run(["webhooks", "test", "crm", "--config", dir.file("config.json")], environment: env)
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("500"), "\(failing.stdout)")
        #expect(try await CommandLineTests.run(["webhooks", "test", "nope", "--config", dir.file("config.json")], environment: env).status == 2)
        await sim.stop()
    }

    /// A source build says its commit, as the package does.
    @Test func aSourceBuildsVersionNamesItsCommit() async throws {
        let out = try await CommandLineTests.run(["--version"])
        #expect(out.stdout.firstMatch(of: /^\d+\.\d+\.\d+ \([0-9a-f]{12}, source build\)\n$/) != nil, "\(out.stdout)")
    }

    /// The demo runs its simulator in-process: no child process is left for anyone to reap.
    @Test func theDemoStartsNoChildProcess() async throws {
        let p = try Child(CommandLineTests.binary.path, ["demo", "--duration", "3", "--agents", "5"], stderr: .null)
        let text = await CommandLineTests.read(p.standardOutput!) { data in
            // Once events flow, the simulator is up: look for children of the demo then.
            if data.count > 2000, p.isRunning { Self.children.withLock { $0 = Self.childrenOf(p.processIdentifier) } }
        }
        await p.exited()
        #expect(text.contains("vicidial.agent.logged_in"))
        #expect(Self.children.withLock { $0 } == [], "children of the demo: \(Self.children.withLock { $0 })")
    }

    static let children = Mutex<[Int32]>([-1])

    static func childrenOf(_ pid: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            return stat[stat.index(after: close)...].split(separator: " ").dropFirst().first == Substring(String(pid))
        }
    }
}
