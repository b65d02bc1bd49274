import Foundation
import Sinks
import TestSupport
import Testing
import VicinotifyCore

/// The `chat` webhook body: one readable line per event, checked by the Python receiver.
@Suite struct ChatFormatTests {
    static let utc = TimeZone(identifier: "UTC")!
    /// 2026-11-24 09:00:00 UTC.
    static func t(_ s: Double) -> Timestamp { Timestamp(millisecondsSince1970: 1_795_510_800_000 + Int64(s * 1000)) }

    static func bond(_ status: String, pause: String = "", lead: Int64 = 0) -> AgentState {
        AgentState(user: "agent002", status: status, pauseCode: pause, leadID: lead, callerID: lead > 0 ? "V1124090000000\(lead)" : "",
                   campaignID: "SALES", sessionID: "8600051", fullName: "Bond, James", userGroup: "AGENTS")
    }

    /// A morning of agent002 as events: logs in, pauses for a break, crosses the rule, takes a call.
    static func morning() throws -> [EncodedEvent] {
        var tracker = SourceTracker(name: "dialer1", eventSource: "vicidial://dialer1", redactedURL: "http://dialer1", idSeed: 5)
        var out = tracker.observe([bond("READY")], at: t(0))
        out += tracker.observe([bond("PAUSED", pause: "BREAK")], at: t(240))
        let row = try #require(tracker.floor["agent002"])
        out.append(tracker.thresholdExceeded(row, ThresholdCrossing(rule: "long_break", longerThan: 900, seconds: 900.4), at: t(1140.4)))
        out += tracker.observe([bond("INCALL", lead: 77)], at: t(1500))
        out += tracker.fail(reason: "timeout", message: "no answer in 5s", at: t(1600))
        return out.map(EncodedEvent.init)
    }

    static let expected = [
        "09:00 agent002 (Bond, James) logged in to SALES: READY",
        "09:04 agent002 (Bond, James) READY → PAUSED BREAK after 4m",
        "09:19 agent002 (Bond, James) PAUSED BREAK for 15m - rule long_break",
        "09:25 agent002 (Bond, James) PAUSED BREAK → INCALL (auto) after 21m",
    ]

    @Test func eachEventIsOneReadableLine() throws {
        let lines = try Self.morning().map { ChatMessage.line(for: $0.json, timeZone: Self.utc) }
        #expect(Array(lines.prefix(4)) == Self.expected)
        let body = try JSONSerialization.jsonObject(with: Data(ChatMessage.body([Array(#"{"type":"vicidial.agent.updated","subject":"a<b>&c","data":{"changed":["user_group"]}}"#.utf8)], timeZone: Self.utc))) as? [String: Any]
        #expect(body?["text"] as? String == "--:-- a&lt;b&gt;&amp;c updated: user_group", "Slack's three escapes")
    }

    @Test func theReceiverGetsSignedChatBodiesInOrder() async throws {
        let receiver = try await WebhookReceiver.start(secrets: [WebhookSinkTests.secretA])
        defer { receiver.stop() }
        let chat = WebhookSink(endpoint: try WebhookSinkTests.endpoint(receiver, "/chat") { $0.format = .chat })
        let batched = WebhookSink(endpoint: try WebhookSinkTests.endpoint(receiver, "/batched") {
            $0.format = .chat
            $0.batchMaxEvents = 10
            $0.batchMaxWait = 0.2
        })
        let pipeline = try await Pipeline([chat, batched])
        defer { pipeline.stop() }
        let events = try Self.morning().filter(\.type.isAgentEvent)
        try await pipeline.journal.commit(source: "dialer1", events: events, changes: [], at: Self.t(1500), lastSequence: 9)
        for q in pipeline.queues { q.notify() }
        #expect(try await receiver.waitForAccepted(4, at: "/chat"))
        let one = try await receiver.receipts("/chat")
        #expect(one.allSatisfy { $0.signaturesValid == 1 && $0.contentType == "application/json" })
        let texts = one.compactMap(\.chatText)
        #expect(texts.count == 4 && texts.allSatisfy { $0.contains("agent002 (Bond, James)") })
        #expect(texts[2].hasSuffix("PAUSED BREAK for 15m - rule long_break"), "\(texts)")
        // One agent: per-agent order hands its events over one at a time, each its own body.
        #expect(try await receiver.waitForAccepted(4, at: "/batched"))
        let lines = try await receiver.receipts("/batched").compactMap(\.chatText).flatMap { $0.split(separator: "\n") }
        #expect(lines.count == 4 && lines[1].hasSuffix("READY → PAUSED BREAK after 4m"))
    }

    /// What each platform reads as a mention or a link in incoming-webhook text, as regular expressions.
    static let markup: [String: [String]] = [
        "slack": [#"<[!@#][^>]*>"#, #"<https?:[^>]*>"#, #"https?://"#],
        "mattermost": [#"@(channel|here|all|[a-z0-9._-]+)"#, #"!?\[[^\]]*\]\("#, #"https?://"#],
        "teams": [#"<at>"#, #"!?\[[^\]]*\]\("#, #"https?://"#, #"<[a-z]+"#],
    ]

    /// Agents' names as an attacker would set them in VICIdial.
    static let hostileNames = ["@channel", "@here everyone", "<!channel>", "<!here|x>", "@all", "[click](https://evil.example/x)",
                               "![pixel](https://evil.example/p.png)", "<https://evil.example|invoice>", "<at>boss</at>",
                               "see https://evil.example", "Bond, James"]

    @Test(arguments: ["slack", "mattermost", "teams"])
    func noNameBecomesAMentionOrALink(_ platform: String) throws {
        for name in Self.hostileNames {
            let event = #"{"type":"vicidial.agent.updated","subject":"agent9","data":{"full_name":"\#(name)","changed":["full_name"]}}"#
            let body = try #require(try JSONSerialization.jsonObject(with: Data(ChatMessage.body([Array(event.utf8)], timeZone: Self.utc)))
                                        as? [String: Any])
            let text = try #require(body["text"] as? String)
            for pattern in Self.markup[platform]! {
                #expect(text.range(of: pattern, options: [.regularExpression, .caseInsensitive]) == nil,
                        "\(platform): \(pattern) matches \(text)")
            }
            let shown = text.replacingOccurrences(of: "\u{2060}", with: "").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            #expect(shown.contains("(\(name))"), "the name still reads as it is: \(shown)")
        }
    }

    @Test func queueRulesReadAsOneLine() throws {
        var tracker = SourceTracker(name: "dialer", eventSource: "vicidial://d", redactedURL: "u")
        let queue = QueueState(queue: "SUPPORT", kind: .inGroup, callsWaiting: 6, oldestWaitSeconds: 95, agentsReady: 0)
        let rule = QueueRule(name: "backlog", condition: .callsWaitingAtLeast(5))
        let time = Timestamp(millisecondsSince1970: 1_795_500_000_000)
        let fired = EncodedEvent(tracker.queueAlert(QueueAlert(rule: rule, queue: queue, exceeded: true, seconds: 0), at: time))
        #expect(ChatMessage.line(for: fired.json, timeZone: Self.utc).hasSuffix("queue SUPPORT: 6 waiting, oldest 1m35s, 0 ready - rule backlog (calls_waiting >= 5)"))
        let cleared = EncodedEvent(tracker.queueAlert(QueueAlert(rule: rule, queue: queue, exceeded: false, seconds: 300), at: time))
        #expect(ChatMessage.line(for: cleared.json, timeZone: Self.utc).contains("back to normal after 5m"))
    }
}
