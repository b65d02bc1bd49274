/// Server-Sent Events frames, written and read in one place: the listener writes them; `tail --url`, the
/// tests' reader and the benchmarks' readers read them.
public enum ServerSentEvents {
    /// One frame: its `id` (a journal position), its `event` type (`message` when absent) and its data
    /// (data lines joined by newlines, as the specification says).
    public struct Frame: Sendable, Equatable {
        public var id: String?
        public var event: String
        public var data: String

        public init(id: String? = nil, event: String = "message", data: String = "") {
            self.id = id
            self.event = event
            self.data = data
        }
    }

    /// Appends one frame to `out`: `id` (if any), `event`, `data` (one line: JSON holds no raw line break)
    /// and the blank line that ends it.
    public static func append(id: Int64?, event: String, data: some Sequence<UInt8>, to out: inout [UInt8]) {
        if let id { out += "id: \(id)\n".utf8 }
        out += "event: ".utf8
        out += event.utf8
        out += "\ndata: ".utf8
        out += data
        out += [0x0A, 0x0A]
    }

    /// One frame without an id, as bytes.
    public static func frame(event: String, data: String) -> [UInt8] {
        var out: [UInt8] = []
        append(id: nil, event: event, data: data.utf8, to: &out)
        return out
    }

    /// The frame in `block` (the bytes of one frame, with or without its blank line); `nil` for a block of
    /// comments only (keep-alives). A field's one optional space after the colon is dropped.
    public static func parse(_ block: some BidirectionalCollection<UInt8>) -> Frame? {
        var frame = Frame()
        var data: [String] = []
        var sawField = false
        for line in block.split(separator: 0x0A, omittingEmptySubsequences: true) {
            let line = line.last == 0x0D ? line.dropLast() : line[...]
            guard line.first != UInt8(ascii: ":") else { continue }
            sawField = true
            let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
            var value = line[colon...].dropFirst()
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            let text = String(decoding: value, as: UTF8.self)
            switch String(decoding: line[..<colon], as: UTF8.self) {
            case "id": frame.id = text
            case "event": frame.event = text
            case "data": data.append(text)
            default: break
            }
        }
        guard sawField else { return nil }
        frame.data = data.joined(separator: "\n")
        return frame
    }
}
