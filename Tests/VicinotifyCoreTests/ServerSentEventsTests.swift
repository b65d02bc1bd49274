import Testing
import VicinotifyCore

/// The one SSE codec: what the listener writes, every reader parses back the same.
@Suite struct ServerSentEventsTests {
    @Test func aWrittenFrameReadsBackTheSame() {
        var bytes: [UInt8] = []
        ServerSentEvents.append(id: 42, event: "vicidial.agent.logged_in", data: Array(#"{"a":1}"#.utf8), to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "id: 42\nevent: vicidial.agent.logged_in\ndata: {\"a\":1}\n\n")
        #expect(ServerSentEvents.parse(bytes) == .init(id: "42", event: "vicidial.agent.logged_in", data: #"{"a":1}"#))
        #expect(ServerSentEvents.parse(ServerSentEvents.frame(event: "overflow", data: "{}")) == .init(event: "overflow", data: "{}"))
    }

    @Test(arguments: [
        (": keep-alive\n\n", nil as ServerSentEvents.Frame?),
        ("data:x\n\n", .init(data: "x")),                                  // no space after the colon
        ("data: a\ndata: b\n\n", .init(data: "a\nb")),                       // data lines joined by newlines
        ("id: 7\r\nevent: e\r\ndata: d\r\n\r\n", .init(id: "7", event: "e", data: "d")),
        (": c\nid: 1\nretry: 5\ndata: z\n\n", .init(id: "1", data: "z")),   // unknown fields and comments skipped
    ])
    func framesAreReadAsTheSpecificationSays(_ text: String, _ frame: ServerSentEvents.Frame?) {
        #expect(ServerSentEvents.parse(Array(text.utf8)) == frame)
    }
}
