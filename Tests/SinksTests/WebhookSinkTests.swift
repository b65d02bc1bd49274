import Foundation
import Journal
import Logging
import Sinks
import TestSupport
import Testing
import VicinotifyCore

/// The webhook sink against a real receiver (`webhook_receiver.py`) over loopback, fed by a real journal
/// and delivery queue as in the daemon.
@Suite struct WebhookSinkTests {
    static let secretA = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let secretB = "whsec_" + Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
    static let fast = RetryPolicy(initial: 0.02, maxDelay: 0.2, maxAge: 3600)

    static func endpoint(_ receiver: WebhookReceiver, _ path: String, _ change: (inout WebhookEndpoint) -> Void = { _ in })
        throws -> WebhookEndpoint {
        var e = WebhookEndpoint(name: String(path.dropFirst()), url: receiver.url(path),
                                signer: try WebhookSigner(secrets: secretA), timeout: 2, connectTimeout: 1, retry: fast)
        change(&e)
        return e
    }

    /// Per agent, the sequences in the order the receiver first accepted them.
    static func acceptedOrder(_ receipts: [WebhookReceiver.Receipt]) -> [String: [String]] {
        var seen = Set<String>()
        var order: [String: [String]] = [:]
        for r in receipts where r.outcome == "accepted" {
            for (i, id) in r.eventIDs.enumerated() where seen.insert(id).inserted {
                order[r.subjects[i], default: []].append(r.sequences[i])
            }
        }
        return order
    }

    @Test func signaturesVerifyIndependentlyIncludingRotation() async throws {
        let both = try await WebhookReceiver.start(secrets: [Self.secretA, Self.secretB])
        let newOnly = try await WebhookReceiver.start(secrets: [Self.secretB])
        let other = try await WebhookReceiver.start(secrets: ["whsec_" + Data(repeating: 9, count: 32).base64EncodedString()])
        defer { both.stop(); newOnly.stop(); other.stop() }
        let rotating = try WebhookSigner(secrets: Self.secretA + " " + Self.secretB)
        let sinks = [both, newOnly, other].map { r in
            WebhookSink(endpoint: try! Self.endpoint(r, "/hook") { $0.signer = rotating; $0.headers = [("X-Tenant", "acme")] })
        }
        let pipeline = try await Pipeline([sinks[0]])
        let pipeline2 = try await Pipeline([sinks[1]])
        let pipeline3 = try await Pipeline([sinks[2]])
        defer { pipeline.stop(); pipeline2.stop(); pipeline3.stop() }
        let events = try await pipeline.poll(agents: 5)
        try await pipeline2.poll(agents: 5)
        try await pipeline3.poll(agents: 5)
        #expect(try await both.waitForAccepted(5, at: "/hook"))
        #expect(try await newOnly.waitForAccepted(5, at: "/hook"))
        #expect(try await other.waitForAccepted(5, at: "/hook"))

        let receipts = try await both.receipts("/hook")
        #expect(receipts.count == 5)
        #expect(receipts.allSatisfy { $0.signaturesValid == 2 && $0.contentType == "application/json" && $0.tenantHeader == "acme" })
        #expect(Set(receipts.map(\.id)) == Set(events.map(\.id)), "webhook-id is the event id")
        #expect(Set(receipts.flatMap(\.eventIDs)) == Set(events.map(\.id)))
        #expect(try await newOnly.receipts().allSatisfy { $0.signaturesValid == 1 })
        #expect(try await other.receipts().allSatisfy { $0.signaturesValid == 0 }, "the verifier rejects an unknown secret")
    }

    @Test func secretsAreCheckedWithoutBeingRepeated() {
        for bad in ["hunter2hunter2", "whsec_!!!notbase64", "whsec_" + Data(repeating: 1, count: 4).base64EncodedString()] {
            #expect(throws: WebhookSecretError.self) { try WebhookSigner(secrets: bad) }
            let message = (try? WebhookSigner(secrets: bad)).map { _ in "" } ?? {
                do { _ = try WebhookSigner(secrets: bad); return "" } catch { return "\(error)" }
            }()
            #expect(!message.isEmpty && !message.contains(bad))
        }
    }

    @Test func retryAfterReadsSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_795_500_000)
        #expect(WebhookSink.seconds(retryAfter: "120", now: now) == 120)
        let date = "Fri, 27 Nov 2026 00:00:30 GMT"  // 1_795_737_630
        #expect(WebhookSink.seconds(retryAfter: date, now: Date(timeIntervalSince1970: 1_795_737_600)) == 30)
        #expect(WebhookSink.seconds(retryAfter: "soon", now: now) == nil)
    }

    @Test func chaosLosesNothingAndKeepsPerAgentOrder() async throws {
        let receiver = try await WebhookReceiver.start(secrets: [Self.secretA])
        defer { receiver.stop() }
        // The sink's timeout is well above a loaded machine's answer time and below the withheld answers'.
        try await receiver.behave("/chaos", ["chaos": 0.3, "seed": 42, "timeout_ms": 2500])
        let sink = WebhookSink(endpoint: try Self.endpoint(receiver, "/chaos") { $0.timeout = 1.5 })
        let pipeline = try await Pipeline([sink])
        defer { pipeline.stop() }
        var events: [EncodedEvent] = []
        for _ in 0..<5 { events += try await pipeline.poll(agents: 40) }
        #expect(try await receiver.waitForAccepted(events.count, at: "/chaos", timeout: 90))

        let receipts = try await receiver.receipts("/chaos")
        let failures = receipts.filter { $0.outcome != "accepted" }.count
        #expect(Double(failures) > 0.15 * Double(receipts.count), "faults were injected")
        // Per agent, accepted in sequence order.
        let expected = Dictionary(grouping: events, by: \.subject).mapValues { $0.map { EventEncoder.sequenceText($0.sequence) } }
        #expect(Self.acceptedOrder(receipts) == expected)
        // An event is processed twice only after an ambiguous attempt (processed, answer lost).
        var processed: [String: [String]] = [:]
        for r in receipts where r.outcome != "rejected" { processed[r.id, default: []].append(r.outcome) }
        for (id, outcomes) in processed where outcomes.count > 1 {
            #expect(outcomes.dropLast().allSatisfy { $0 == "ambiguous" }, "duplicate of \(id) without an ambiguous attempt")
        }
        #expect(receipts.allSatisfy { $0.signaturesValid == 1 })
    }

    @Test func aDownEndpointDrainsItsBacklogInOrderOnceUp() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/down", ["status": 503])
        let pipeline = try await Pipeline([WebhookSink(endpoint: try Self.endpoint(receiver, "/down") { $0.signer = nil })])
        defer { pipeline.stop() }
        var events: [EncodedEvent] = []
        for _ in 0..<4 { events += try await pipeline.poll(agents: 10) }
        // Wait until the queue has recorded failed attempts, then bring the endpoint up.
        var retrying = 0
        while retrying < 10 { retrying = try await pipeline.journal.retries(sink: "webhook:down").count; await Task.yield() }
        #expect(try await pipeline.journal.retries(sink: "webhook:down").values.allSatisfy { $0.lastError == "HTTP 503" })
        try await receiver.behave("/down", [:])
        #expect(try await receiver.waitForAccepted(events.count, at: "/down"))
        let expected = Dictionary(grouping: events, by: \.subject).mapValues { $0.map { EventEncoder.sequenceText($0.sequence) } }
        #expect(Self.acceptedOrder(try await receiver.receipts("/down")) == expected)
    }

    @Test func a4xxIsDeadLetteredWithStatusAndBody() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/strict", ["status": 422, "body": "unknown field\nstatus"])
        let pipeline = try await Pipeline([WebhookSink(endpoint: try Self.endpoint(receiver, "/strict"))])
        defer { pipeline.stop() }
        let events = try await pipeline.poll(agents: 3)
        var dead: [DeadLetter] = []
        while dead.count < 3 { dead = try await pipeline.journal.deadLetters(sink: "webhook:strict"); await Task.yield() }
        #expect(Set(dead.map(\.event.id)) == Set(events.map(\.id)))
        #expect(dead.allSatisfy { $0.lastError == "HTTP 422: unknown field status" && $0.attempts == 1 })
        #expect(try await receiver.receipts("/strict").count == 3, "no retries after a 4xx")
    }

    @Test func a410DisablesTheEndpointAndKeepsItsEvents() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/gone", ["status": 410])
        let gone = WebhookSink(endpoint: try Self.endpoint(receiver, "/gone") { $0.concurrency = 1 })
        let pipeline = try await Pipeline([gone])
        defer { pipeline.stop() }
        let before = try await pipeline.journal.cursor(sink: gone.name)
        try await pipeline.poll(agents: 5)
        await pipeline.tasks[0].value  // the queue stops by itself
        #expect(try await receiver.receipts("/gone").count == 1)
        #expect(try await pipeline.journal.cursor(sink: gone.name) == before, "every event stays undelivered")
        #expect(try await pipeline.journal.deadLetters(sink: gone.name).isEmpty)
    }

    @Test func retryAfterIsHonoured() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/busy", ["status": 429, "count": 1, "headers": ["Retry-After": "1"]])
        let endpoint = try Self.endpoint(receiver, "/busy") { $0.retry.maxDelay = 5 }
        let pipeline = try await Pipeline([WebhookSink(endpoint: endpoint)], policy: endpoint.retry)
        defer { pipeline.stop() }
        try await pipeline.poll(agents: 1)
        #expect(try await receiver.waitForAccepted(1, at: "/busy"))
        let r = try await receiver.receipts("/busy")
        #expect(r.count == 2 && r[0].outcome == "rejected")
        #expect(r[1].arrived - r[0].arrived >= 0.9, "retried after Retry-After (1 s), not the 20 ms backoff")
    }

    @Test func redirectsAreNotFollowed() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/moved", ["status": 302, "headers": ["Location": receiver.url("/elsewhere?token=x")]])
        var endpoint = try Self.endpoint(receiver, "/moved")
        endpoint.retry.maxAttempts = 2
        let pipeline = try await Pipeline([WebhookSink(endpoint: endpoint)], policy: endpoint.retry)
        defer { pipeline.stop() }
        try await pipeline.poll(agents: 1)
        var dead: [DeadLetter] = []
        while dead.isEmpty { dead = try await pipeline.journal.deadLetters(sink: "webhook:moved"); await Task.yield() }
        #expect(dead[0].attempts == 2)
        #expect(dead[0].lastError == "HTTP 302: redirect to \(receiver.url("/elsewhere")) not followed")
        #expect(try await receiver.receipts("/elsewhere").isEmpty)
    }

    @Test func filtersSelectTypesCampaignsAndAgents() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        let byCampaign = WebhookSink(endpoint: try Self.endpoint(receiver, "/sales") {
            $0.filter = EventFilter(types: ["vicidial.agent.status_*"], campaigns: ["SALES"])
        })
        let byAgent = WebhookSink(endpoint: try Self.endpoint(receiver, "/a1") { $0.filter = EventFilter(agents: ["a1"]) })
        let loginsOnly = WebhookSink(endpoint: try Self.endpoint(receiver, "/logins") {
            $0.filter = EventFilter(types: ["*.logged_in"])
        })
        let pipeline = try await Pipeline([byCampaign, byAgent, loginsOnly])
        defer { pipeline.stop() }
        let campaign: (Int) -> String = { $0 % 2 == 0 ? "SALES" : "SUPPORT" }
        let first = try await pipeline.poll(agents: 6, campaign: campaign)   // logins
        let second = try await pipeline.poll(agents: 6, campaign: campaign)  // status changes
        let all = first + second
        #expect(try await receiver.waitForAccepted(3, at: "/sales"))
        #expect(try await receiver.waitForAccepted(2, at: "/a1"))
        #expect(try await receiver.waitForAccepted(6, at: "/logins"))
        // A marker event for each endpoint: once it arrives, every earlier event was filtered, not pending.
        let third = try await pipeline.poll(agents: 6, campaign: campaign)
        #expect(try await receiver.waitForAccepted(6, at: "/sales"))
        #expect(try await receiver.waitForAccepted(3, at: "/a1"))
        let sales = try await receiver.receipts("/sales").flatMap(\.eventIDs)
        let wanted = (all + third).filter { $0.type == .statusChanged && $0.campaignID == "SALES" }.map(\.id)
        #expect(sales.sorted() == wanted.sorted())
        #expect(try await receiver.receipts("/a1").flatMap(\.subjects) == ["a1", "a1", "a1"])
        #expect(try await receiver.receipts("/logins").flatMap(\.types) == Array(repeating: "vicidial.agent.logged_in", count: 6))
    }

    @Test func aSlowEndpointDoesNotDelayAFastOne() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        try await receiver.behave("/slow", ["delay_ms": 3000])
        let slow = WebhookSink(endpoint: try Self.endpoint(receiver, "/slow") { $0.timeout = 10 })
        let fast = WebhookSink(endpoint: try Self.endpoint(receiver, "/fast"))
        let pipeline = try await Pipeline([slow, fast])
        defer { pipeline.stop() }
        try await pipeline.poll(agents: 20)
        #expect(try await receiver.waitForAccepted(20, at: "/fast"))
        let slowReceipts = try await receiver.receipts("/slow")
        #expect(slowReceipts.allSatisfy { $0.answered == nil }, "the fast endpoint finished before the slow one answered once")
        #expect(slowReceipts.count <= 8, "the slow endpoint is limited to its own concurrency")
    }

    @Test func batchingSendsJSONArraysWithAStableID() async throws {
        let receiver = try await WebhookReceiver.start(secrets: [Self.secretA])
        defer { receiver.stop() }
        try await receiver.behave("/batch", ["status": 500, "count": 1])
        let sink = WebhookSink(endpoint: try Self.endpoint(receiver, "/batch") {
            $0.batchMaxEvents = 10
            $0.batchMaxWait = 0.2
            $0.concurrency = 1
        })
        let pipeline = try await Pipeline([sink], policy: RetryPolicy(initial: 0.01, maxDelay: 0.01, maxAge: 3600))
        defer { pipeline.stop() }
        let events = try await pipeline.poll(agents: 25)
        #expect(try await receiver.waitForAccepted(25, at: "/batch"))
        let receipts = try await receiver.receipts("/batch")
        #expect(receipts.allSatisfy { $0.signaturesValid == 1 && $0.eventIDs.count <= 10 && $0.id.hasPrefix("msg_") })
        #expect(Set(receipts.flatMap(\.eventIDs)) == Set(events.map(\.id)))
        let failed = receipts[0]
        #expect(failed.outcome == "rejected")
        #expect(receipts.dropFirst().contains { $0.id == failed.id && $0.eventIDs == failed.eventIDs }, "a retried batch keeps its id")
    }
}
