import Foundation

/// A complete HTTP response. Redirects are never followed, so a 3xx arrives here as itself.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The header block of the final response as received (after any `100 Continue`), parsed on demand.
    public var rawHeaders: [UInt8]
    public var body: [UInt8]
    /// Whether the transfer reused a kept-alive connection.
    public var reusedConnection: Bool
    /// Seconds from the start of the transfer to its end (libcurl's `CURLINFO_TOTAL_TIME`).
    public var totalSeconds: Double
    /// The body went past the request's `maxResponseBytes`: `body` holds its first bytes only, and the
    /// rest was never read.
    public var truncated: Bool

    public init(status: Int, rawHeaders: [UInt8], body: [UInt8], reusedConnection: Bool, totalSeconds: Double = 0,
                truncated: Bool = false) {
        self.truncated = truncated
        self.status = status
        self.rawHeaders = rawHeaders
        self.body = body
        self.reusedConnection = reusedConnection
        self.totalSeconds = totalSeconds
    }

    /// Header lines in order, names as sent.
    public var headers: [(name: String, value: String)] {
        String(decoding: rawHeaders, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line in
            guard !line.hasPrefix("HTTP/"), let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}
