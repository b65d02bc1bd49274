import ArgumentParser
import Daemon
import Foundation
import Sinks
import Synchronization
import VicinotifyCore

/// `vicinotify webhooks test NAME`: one signed sample event to a configured endpoint, and its answer.
struct WebhooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Webhook endpoints: send a test event.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "POST one signed sample event (a status change of agent vicinotify-test) to an endpoint and print the answer.",
            discussion: """
                The request is the endpoint's own: its URL, headers, signature, format and timeout; it is sent
                once, not retried, and journaled nowhere. Exit codes: 0 the endpoint took it (2xx), 1 it did
                not, 2 invalid configuration or no such endpoint.

                Example:
                  vicinotify webhooks test crm --config /etc/vicinotify/config.json
                """)

        @Argument(help: "The endpoint's name in the webhooks file.") var name: String
        @Option(help: "The configuration file (JSON).") var config: String

        func run() async throws {
            let c = try Configuration.loadOrExit(path: config)
            let endpoints = c.sinks(of: WebhookEndpoint.self)
            guard let endpoint = endpoints.first(where: { $0.name == name }) else {
                let names = endpoints.map(\.name).joined(separator: ", ")
                FileHandle.standardError.write(Data("no webhook endpoint named \(name) (there are: \(names.isEmpty ? "none" : names))\n".utf8))
                throw ExitCode(2)
            }
            let event = Self.sample()
            let seconds = Mutex(0.0)
            let sink = WebhookSink(endpoint: endpoint) { s, _ in seconds.withLock { $0 = s } }
            let outcome = await sink.deliver([event]).first ?? .delivered
            let ms = Int((seconds.withLock { $0 } * 1000).rounded())
            print("POST \(endpoint.url) (\(endpoint.signer == nil ? "unsigned" : "signed"), event \(event.id)) in \(ms) ms:")
            switch outcome {
            case .delivered: print("  delivered: the endpoint answered 2xx")
            case .retry(let reason, _): print("  not delivered, would be retried: \(reason)")
            case .giveUp(let reason): print("  not delivered, would be dead-lettered: \(reason)")
            case .disableSink(let reason): print("  not delivered, the endpoint would be disabled: \(reason)")
            }
            if case .delivered = outcome { return }
            throw ExitCode(1)
        }

        /// A `vicidial.agent.status_changed` of agent `vicinotify-test`, PAUSED → READY.
        static func sample(now: Timestamp = .now()) -> EncodedEvent {
            var tracker = SourceTracker(name: "webhooks-test", eventSource: "vicinotify://webhooks-test", redactedURL: "")
            let before = AgentState(user: "vicinotify-test", status: "PAUSED", pauseCode: "BREAK", campaignID: "TEST", sessionID: "8600051",
                                    fullName: "vicinotify test", userGroup: "TEST")
            var after = before
            after.status = "READY"
            after.pauseCode = ""
            _ = tracker.observeChanges([before], keeping: [], at: now.adding(milliseconds: -60_000))
            let events = tracker.observeChanges([after], keeping: [], at: now).events
            return EncodedEvent(events[0])
        }
    }
}
