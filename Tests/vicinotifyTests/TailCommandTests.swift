import Foundation
import Logging
import Postgres
import Sinks
import Tail
import TestSupport
import Testing
import VicinotifyCore

/// `vicinotify tail` against the real server while the sink writes.
@Suite struct TailCommandTests {
    /// Starts `vicinotify tail` with `args`; its stdout lines accumulate in the returned value.
    static func tail(_ args: [String]) throws -> (Child, Awaitable<[String]>, Awaitable<String>) {
        let p = try Child(CommandLineTests.binary.path, ["tail", "--postgres", TestPostgres.conninfo] + args,
                          environment: ["PGPASSWORD": TestPostgres.password])
        let (out, err) = (p.standardOutput!, p.standardError!)
        let lines = Awaitable<[String]>([]), errors = Awaitable("")
        Thread.detachNewThread {
            var partial = Data()
            while case let chunk = out.availableData, !chunk.isEmpty {
                partial.append(chunk)
                guard let end = partial.lastIndex(of: 0x0A) else { continue }
                let complete = String(decoding: partial[..<end], as: UTF8.self).split(separator: "\n").map(String.init)
                partial = Data(partial[(end + 1)...])
                lines.update { $0 += complete }
            }
        }
        Thread.detachNewThread {
            while case let chunk = err.availableData, !chunk.isEmpty {
                errors.update { $0 += String(decoding: chunk, as: UTF8.self) }
            }
        }
        return (p, lines, errors)
    }

    /// A sink writing to a table and channel of its own.
    static func sink() -> (PostgresSink, table: String, channel: String) {
        let table = TestPostgres.uniqueName("events"), channel = TestPostgres.uniqueName("ch")
        let configuration = PostgresSinkConfiguration(connection: TestPostgres.options(), table: table, channel: channel,
                                                      applySchema: true)
        return (PostgresSink(configuration: configuration, logger: Logger(label: "test")), table, channel)
    }

    static func ids(_ lines: [String]) -> [String] {
        lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
    }

    @Test func catchUpThenStreamHasNoGapAndNoDuplicateAcrossAReconnect() async throws {
        let (sink, table, channel) = Self.sink()
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 3)
        var written: [String] = []
        func write(round: Int) async {
            let time = Timestamp(millisecondsSince1970: 1_795_500_000_000 + Int64(round) * 1000)
            let floor = (0..<20).map { AgentState(user: "a\($0)", status: round % 2 == 0 ? "READY" : "INCALL", callsToday: round) }
            let events = tracker.observe(floor, at: time).map(EncodedEvent.init)
            #expect(await sink.deliver(events).allSatisfy { $0 == .delivered })
            written += events.map(\.id)
        }
        for round in 0..<20 { await write(round: round) }

        let (process, lines, errors) = try Self.tail(["--table", table, "--channel", channel, "--since", "0"])
        defer { process.terminate() }
        // Keep writing while the tail catches up, switches to notifications, and loses its connection.
        for round in 20..<60 {
            await write(round: round)
            if round == 40 {
                #expect(await lines.wait { $0.count >= 400 }, "the tail caught up")
                let killed = try await TestPostgres.client().query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vicinotify tail' AND datname = current_database()")
                #expect(killed.count == 1)
            }
        }
        let total = written.count
        #expect(await lines.wait(timeout: 30) { $0.count >= total })
        // Anything extra (a duplicate) would arrive right after; stop reading only once a last event is through.
        await write(round: 60)
        let all = written
        #expect(await lines.wait(timeout: 30) { Self.ids($0).last == all.last })
        let seen = Self.ids(lines.value)
        #expect(seen.count == all.count, "no duplicate")
        #expect(Set(seen) == Set(all), "no gap")
        #expect(errors.value.contains("reconnected; catching up"))
    }

    @Test func readableLinesOnATerminalAndFiltersByTypeAndAgent() async throws {
        let (sink, table, channel) = Self.sink()
        var tracker = SourceTracker(name: "src", eventSource: "vicidial://src", redactedURL: "", idSeed: 4)
        for (round, status) in ["READY", "INCALL"].enumerated() {
            let time = Timestamp(millisecondsSince1970: 1_795_500_000_000 + Int64(round) * 1000)
            let floor = ["agent001", "agent002"].map { AgentState(user: $0, status: status, campaignID: "SALES") }
            _ = await sink.deliver(tracker.observe(floor, at: time).map(EncodedEvent.init))
        }
        let (process, lines, _) = try Self.tail(["--table", table, "--channel", channel, "--since", "0",
                                                 "--type", "vicidial.agent.status_*", "--agent", "agent002"])
        defer { process.terminate() }
        #expect(await lines.wait { !$0.isEmpty })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.value[0].utf8)) as? [String: Any])
        #expect(object["subject"] as? String == "agent002" && object["type"] as? String == "vicidial.agent.status_changed")

        let line = TailLineFormatter().line(for: lines.value[0])
        #expect(line.contains("agent002") && line.contains("status_changed") && line.contains("READY → INCALL") && line.contains("SALES"))
    }

    /// A sub-status change is shown (it was READY → READY for RING), and so is the source.
    @Test(arguments: [
        (#"{"status":"READY","sub_status":""}"#, #"{"status":"READY","sub_status":"RING"}"#, "READY → READY RING  SALES  [dialer2]"),
        (#"{"status":"INCALL","sub_status":""}"#, #"{"status":"INCALL","sub_status":"DEAD"}"#, "INCALL → INCALL DEAD  SALES  [dialer2]"),
        (#"{"status":"READY","sub_status":""}"#, #"{"status":"PAUSED","sub_status":"","pause_code":"BRK"}"#, "READY → PAUSED (BRK)  SALES  [dialer2]"),
    ])
    func linesShowSubStatusAndSource(_ previous: String, _ current: String, _ shown: String) {
        let json = #"{"source":"vicidial://dialer2","type":"vicidial.agent.status_changed","subject":"agent7","time":"2026-12-04T10:00:00.000Z","data":{"campaign_id":"SALES","previous":\#(previous),"current":\#(current)}}"#
        let line = TailLineFormatter().line(for: json)
        #expect(line.hasSuffix(shown), "\(line)")
    }

    @Test func queueLinesShowWaitingOldestAndAgents() {
        let json = #"{"source":"vicidial-db://r","type":"vicidial.queue.changed","subject":"queue:SUPPORT","time":"2026-12-04T10:00:00.000Z","data":{"queue":"SUPPORT","current":{"calls_waiting":3,"oldest_wait_seconds":40,"agents_ready":1,"agents_in_call":2,"agents_logged_in":5},"previous":null}}"#
        #expect(TailLineFormatter().line(for: json).hasSuffix("queue:SUPPORT  queue  waiting 3, oldest 40s, ready 1, in calls 2, logged in 5"))
    }

    /// On a terminal, a quiet floor still shows what tail follows (through `script`, which gives it a terminal).
    @Test func onATerminalTailSaysWhatItFollows() async throws {
        let port = freeLoopbackPort()
        let command = "\(CommandLineTests.binary.path) tail --url http://127.0.0.1:\(port) --since 5m"
        let p = try Child("/usr/bin/script", ["-qec", command, "/dev/null"], stderr: .null)
        let text = await CommandLineTests.read(p.standardOutput!) { data in
            if String(decoding: data, as: UTF8.self).contains("following") { p.terminate() }
        }
        await p.exited()
        #expect(text.contains("vicinotify tail: following http://127.0.0.1:\(port)/v1/events from 5m"), "\(text)")
    }
}
