import Benchmarks
import CurlHTTP
import Foundation
import TestSupport
import Testing
import VicinotifyCore

/// Fifty readers of the real binary's `/v1/events` under churn, one of which stops reading.
@Suite(.serialized) struct ManyReadersTests {
    typealias Daemon = HardeningCommandTests.Daemon
    static let readers = 50

    /// Seconds from an event's `time` (its poll) to now, read from the frame's data.
    static let eventAge: SSEReaderPool.Latency = { _, _, data in
        let now = Date().timeIntervalSince1970
        guard let event = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
              let t = (event["time"] as? String).flatMap({ Timestamp(rfc3339: $0) }) else { return nil }
        return now - Double(t.millisecondsSince1970) / 1000
    }

    static func p99(_ samples: [Double]) -> Double {
        let sorted = samples.sorted()
        return sorted.isEmpty ? .infinity : sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
    }

    @Test func aStuckReaderIsCutOffWithItsFinalEventAndSlowsNobody() async throws {
        let sim = try await RunningSimulator.start(agents: 200, tick: 0.25)
        defer { Task { await sim.stop() } }
        let receiver = try await WebhookReceiver.start()
        defer { receiver.stop() }
        let dir = TemporaryDirectory("vn-readers")
        defer { dir.remove() }
        _ = HardeningCommandTests().write(dir, "hooks.json", #"{"endpoints": [{"name": "crm", "url": "\#(receiver.url("/crm"))", "concurrency": 32}]}"#)
        let config = HardeningCommandTests().write(dir, "config.json", """
            {"state_dir": "state", "sinks": {"stdout": {"enabled": false}, "webhooks_file": "hooks.json"},
             "http": {"listen": "127.0.0.1:0", "max_readers": 64, "reader_buffer_events": 2000},
             "sources": [{"name": "sim", "url": "\(sim.apiURL)", "user": "apiuser", "password": "apipass", "interval": "200ms"}]}
            """)
        let d = try Daemon.start(["run", "--config", config])
        let serving = try #require(await d.line("serving /metrics"))
        let port = try #require(Int(serving.split(separator: ":").last?.prefix { $0.isNumber } ?? ""))
        let http = CurlTransport()
        func metric(_ name: String) async throws -> Double? {
            let text = String(decoding: try await http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics")).body, as: UTF8.self)
            return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        func journalPosition() async throws -> Int64 {
            let body = try await http.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/agents")).body
            return ((try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["sequence"] as? NSNumber)?.int64Value ?? -1
        }

        let pool = try SSEReaderPool(port: port, path: "/v1/events", count: Self.readers, stuck: [0], measureEvery: 20,
                                     latency: Self.eventAge)
        defer { pool.stop() }
        #expect(await pool.wait(timeout: 20) { $0.dropFirst().allSatisfy { $0.frames > 0 } }, "every reader is live")
        var cutOff = false
        for _ in 0..<600 where !cutOff {  // at most 60 s
            cutOff = try await metric("vicinotify_event_reader_overflows_total") == 1
            if !cutOff { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(cutOff, "the reader that stopped reading was cut off")
        #expect(try await metric("vicinotify_event_readers") == Double(Self.readers - 1))

        // The stuck reader, reading again within the grace, gets what was sent, then the final event, then the end.
        pool.release(0)
        #expect(await pool.wait(timeout: 20) { $0[0].ended })
        let stuck = pool.readers[0]
        #expect(stuck.gaps == 0 && stuck.frames > 0)
        let final = try #require(stuck.notices.last)
        #expect(final.event == "overflow")
        let lastSent = (try JSONSerialization.jsonObject(with: Data(final.data.utf8)) as? [String: Any])?["last_event_id"] as? Int
        #expect(lastSent.map(Int64.init) == stuck.lastID, "the final event names the last id the reader got")

        // The others and the webhook kept up: everything up to now arrives, in order, soon.
        let position = try await journalPosition()
        #expect(await pool.wait(timeout: 30) { $0.dropFirst().allSatisfy { $0.lastID >= position } }, "the others are not held back")
        #expect(try await receiver.waitForAccepted(Int(position), at: "/crm"), "the webhook sink is not held back")
        let others = Array(pool.readers.dropFirst())
        #expect(others.allSatisfy { $0.status == 200 && $0.gaps == 0 && !$0.ended && $0.notices.isEmpty })
        let readerP99 = Self.p99(pool.latencies(1..<Self.readers))
        let hooks = try await receiver.receipts("/crm")
        let hookP99 = Self.p99(hooks.flatMap { r in r.eventTimes.map { r.arrivedWall - $0 } })
        #expect(readerP99 < 2 && hookP99 < 2, "poll-to-reader p99 \(readerP99) s, poll-to-webhook p99 \(hookP99) s")

        // It resumes from there, with no gap.
        let resumed = try SSEReaderPool(port: port, path: "/v1/events", count: 1, headers: ["Last-Event-ID": "\(stuck.lastID)"])
        #expect(await resumed.wait(timeout: 20) { $0[0].frames > 100 })
        resumed.stop()
        #expect(resumed.readers[0].firstID == stuck.lastID + 1 && resumed.readers[0].gaps == 0)

        let peak = d.peakRSS
        #expect(await d.stop() == 0)
        #expect(peak > 0 && peak < 400 << 20, "peak RSS \(peak >> 20) MB with 50 readers")
    }
}
