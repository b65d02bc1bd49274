import Daemon
import Foundation
import Journal
import NIOCore
import TestSupport
import Testing
import VICIdial
import VicinotifyCore

/// `GET /v1/events` over real HTTP: list, then watch from the list's position; resume by `Last-Event-ID`.
@Suite struct EventStreamTests {
    struct Running {
        let daemon: Daemon
        let run: Task<[PollReport], any Error>
        let port: Int
        let sink: RecordingSink
    }

    func start(_ sim: RunningSimulator) async throws -> Running {
        let s = VICIdialSource(name: "sim", url: sim.apiURL, user: "apiuser", password: "apipass", interval: 0.1, timeout: 5)
        var config = Configuration(stateDirectory: TemporaryDirectory().path, sources: [.init(vicidial: s, eventSource: "vicidial://sim")])
        config.httpListen = ("127.0.0.1", 0)
        let logs = CapturedLogs()
        let sink = RecordingSink()
        let daemon = Daemon(configuration: config, sinks: [sink], logger: logs.logger())
        let run = Task { try await daemon.run(drainTimeout: 1) }
        #expect(await logs.wait { $0.contains { $0.contains("serving /metrics") } })
        let line = logs.all.first { $0.contains("serving /metrics") } ?? ""
        let port = Int(line.split(separator: ":").last?.prefix { $0.isNumber } ?? "") ?? 0
        return Running(daemon: daemon, run: run, port: port, sink: sink)
    }

    /// CloudEvent ids of the frames, which must be the sink's events, in journal order.
    func ids(_ frames: [SSEReader.Frame]) -> [String] {
        frames.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any])?["id"] as? String }
    }

    func read(_ reader: SSEReader, _ count: Int) async -> [SSEReader.Frame] {
        var out: [SSEReader.Frame] = []
        while out.count < count, let f = await reader.next() { out.append(f) }
        return out
    }

    @Test func aWatchFromTheListsPositionMissesNothingAndResumesByLastEventID() async throws {
        let sim = try await RunningSimulator.start(agents: 4)
        defer { Task { await sim.stop() } }
        let d = try await start(sim)
        #expect(await d.sink.wait { $0.count == 4 })
        let list = try #require(try JSONSerialization.jsonObject(with: Data(d.daemon.live.list(LiveFloor.Query()))) as? [String: Any])
        let position = try #require(list["sequence"] as? Int)
        // Changes made between the list and the watch are not lost.
        try await sim.set("agent001", ["status": "READY"])
        #expect(await d.sink.wait { $0.count == 5 })
        let reader = try await SSEReader.open(port: d.port, path: "/v1/events", headers: ["Last-Event-ID": "\(position)"])
        #expect(reader.status == 200)
        try await sim.set("agent002", ["status": "READY"])
        try await sim.set("agent003", ["status": "INCALL", "lead_id": 5, "call_type": "auto"])
        let first = await read(reader, 3)
        #expect(first.map(\.event) == ["vicidial.agent.status_changed", "vicidial.agent.status_changed", "vicidial.agent.status_changed"])
        let ids = first.compactMap { $0.id.flatMap(Int64.init) }
        #expect(ids == ids.sorted() && ids.first ?? 0 > Int64(position), "ids are journal positions after the list's")
        reader.close()

        // Killed mid-stream: more changes, then a reconnect from the last id gets exactly the rest.
        try await sim.set("agent004", ["status": "READY"])
        try await sim.set("agent001", ["status": "PAUSED", "pause_code": "BRK2"])
        #expect(await d.sink.wait { $0.count == 9 })
        let again = try await SSEReader.open(port: d.port, path: "/v1/events", headers: ["Last-Event-ID": first.last?.id ?? ""])
        let rest = await read(again, 2)
        let all = self.ids(first) + self.ids(rest)
        #expect(all == (await d.sink.events).dropFirst(4).map(\.id), "every change after the list exactly once, in order")
        again.close()

        let filtered = try await SSEReader.open(port: d.port, path: "/v1/events?since=0&agent=agent003")
        let only = await read(filtered, 2)
        #expect(only.map { $0.event } == ["vicidial.agent.logged_in", "vicidial.agent.status_changed"], "filters as webhooks have them")
        filtered.close()
        let bad = try await SSEReader.open(port: d.port, path: "/v1/events?since=yesterday")
        #expect(bad.status == 400)
        d.run.cancel()
        _ = try await d.run.value
    }

    @Test func aReaderThatFallsBehindIsCutOffAndTheOthersAreNot() async throws {
        let hub = EventHub(maxReaders: 2, bufferEvents: 3)
        let slow = try #require(hub.subscribe())
        let fast = try #require(hub.subscribe())
        #expect(hub.subscribe() == nil, "at most maxReaders")
        let event = EncodedEvent(id: "e", sequence: 1, type: .updated, subject: "a", sourceName: "s", campaignID: "", userGroup: "",
                                 time: .now(), json: [])
        var received = 0
        var iterator = fast.batches.makeAsyncIterator()
        for p in 1...5 {
            hub.publish([JournaledEvent(position: Int64(p), event: event)])
            let batch = await iterator.next()
            if batch?.events.map(\.position) == [Int64(p)] { received += 1 }
            batch.map(fast.taken)
        }
        #expect(received == 5, "a reader that keeps up gets everything")
        var slowGot = 0
        for await batch in slow.batches { slowGot += batch.events.count }
        #expect(slowGot == 3 && slow.overflowed, "the slow one got its buffer, then was cut off")
        #expect(hub.overflows == 1)
        #expect(hub.readers == 1)
    }

    @Test func aBatchIsFramedOnceAndSharedUnlessAFilterOrAPositionLeavesEventsOut() {
        func event(_ p: Int64, _ campaign: String) -> JournaledEvent {
            JournaledEvent(position: p, event: EncodedEvent(id: "e\(p)", sequence: UInt64(p), type: .updated, subject: "a", sourceName: "s",
                                                            campaignID: campaign, userGroup: "", time: .now(), json: Array("{\"p\":\(p)}".utf8)))
        }
        let batch = EventHub.Batch([event(7, "SALES"), event(8, "OTHER"), event(9, "SALES")])
        let all = String(buffer: batch.frames)
        #expect(all == "id: 7\nevent: vicidial.agent.updated\ndata: {\"p\":7}\n\n"
                + "id: 8\nevent: vicidial.agent.updated\ndata: {\"p\":8}\n\n"
                + "id: 9\nevent: vicidial.agent.updated\ndata: {\"p\":9}\n\n")
        #expect(batch.frames(after: 0, matching: EventFilter()) == batch.frames)
        #expect(batch.frames(after: 7, matching: EventFilter()).map { String(buffer: $0) } == String(all.dropFirst(all.count / 3)))
        let sales = batch.frames(after: 0, matching: EventFilter(campaigns: ["SALES"])).map { String(buffer: $0) }
        #expect(sales == "id: 7\nevent: vicidial.agent.updated\ndata: {\"p\":7}\n\nid: 9\nevent: vicidial.agent.updated\ndata: {\"p\":9}\n\n")
        #expect(batch.frames(after: 9, matching: EventFilter()) == nil)
    }
}
