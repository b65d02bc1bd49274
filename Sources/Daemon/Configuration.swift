import ConfigValidation
import CurlHTTP
import Foundation
import Sinks
import VICIdial
import VICIdialDatabase
import VicinotifyCore

/// The run configuration (product.md, "Configuration"), validated. Relative paths are resolved against
/// the configuration file's folder.
public struct Configuration: Sendable {
    public struct Source: Sendable {
        public var vicidial: VICIdialSource
        /// CloudEvents `source` of the events: `vicidial://host[:port]` unless set as `event_source`.
        public var eventSource: String

        public init(vicidial: VICIdialSource, eventSource: String) {
            self.vicidial = vicidial
            self.eventSource = eventSource
        }

        /// What reads this source's floor: VICIdial's API over `transport`, or its database.
        public func reader(transport: CurlTransport) -> any FloorReader {
            vicidial.mode == .database ? DatabaseFloorReader(source: vicidial) : VICIdialClient(source: vicidial, transport: transport)
        }
    }

    public var stateDirectory: String
    public var sources: [Source]
    /// Every configured sink, read by the kinds of `SinkRegistry`.
    public var sinks: [any SinkConfiguration]
    /// Journal entries kept for `replay` after every sink has passed them.
    public var journalKeepEvents: Int
    /// A cap on the journal file's size; reaching it pauses polling like a full disk.
    public var journalMaxBytes: Int?
    /// Where `/metrics`, `/healthz` and `/readyz` are served (`http.listen`); `nil`: no listener.
    public var httpListen: (host: String, port: Int)?
    /// Tokens and browser origins for `/v1/*` (`http.tokens`, `http.tokens_env`, `http.cors_origins`).
    public var apiAccess = APIAccess()
    /// Readers of `/v1/events` at once, and the events each may fall behind before it is cut off
    /// (`http.max_readers`, `http.reader_buffer_events`).
    public var eventReaders = (max: 256, buffer: 10_000)
    /// The alert rules (`alerts`), evaluated at every poll of every source they apply to.
    public var alerts: [AlertRule] = []
    /// The alert rules on queues (`alerts` entries with `queues`).
    public var queueAlerts: [QueueRule] = []
    /// Things that are allowed but probably wrong, each naming its JSON path (never a secret's value).
    public var warnings: [String] = []

    public init(stateDirectory: String, sources: [Source], sinks: [any SinkConfiguration] = [StdoutSinkConfiguration()],
                journalKeepEvents: Int = 100_000, journalMaxBytes: Int? = nil) {
        self.stateDirectory = stateDirectory
        self.sources = sources
        self.sinks = sinks
        self.journalKeepEvents = journalKeepEvents
        self.journalMaxBytes = journalMaxBytes
    }

    /// `HOST:PORT`, `[IPv6]:PORT` or a bare port (on 127.0.0.1), as `http.listen` takes it; `nil` when malformed.
    public static func listenAddress(_ text: String) -> (host: String, port: Int)? {
        var v = JSONValidator(environment: [:], baseDirectory: "/", requireSecrets: false)
        let address = v.listenAddress(text)
        return v.problems.isEmpty ? address : nil
    }

    /// The names of every configured sink, as their journal cursors know them.
    public var sinkNames: [String] { sinks.map(\.sinkName) }

    /// The retry policy of the sink named `sink`; `nil` for a sink the configuration does not have.
    public func retryPolicy(for sink: String) -> RetryPolicy? {
        sinks.first { $0.sinkName == sink }?.retry
    }

    /// The configured sinks of one kind, e.g. `sinks(of: WebhookEndpoint.self)`.
    public func sinks<T>(of type: T.Type) -> [T] { sinks.compactMap { $0 as? T } }

    /// Reads and validates a configuration file.
    /// - Throws: `ConfigurationError` listing every problem found.
    /// - Parameter requireSecrets: false for tools that only read the journal: an unset `password_env`
    ///   is then no problem.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            requireSecrets: Bool = true) throws -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(problems: ["\(path): cannot read the file"])
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(data, baseDirectory: base, environment: environment, requireSecrets: requireSecrets)
    }

    public static func parse(_ data: Data, baseDirectory: String, environment: [String: String],
                             requireSecrets: Bool = true) throws -> Configuration {
        let root: Any
        do {
            root = try JSONDocument.parse(data)
        } catch {
            throw ConfigurationError(problems: ["$: not valid JSON at \(error)"])
        }
        var v = JSONValidator(environment: environment, baseDirectory: baseDirectory, requireSecrets: requireSecrets)
        var config = v.configuration(root)
        if !v.problems.isEmpty { throw ConfigurationError(problems: v.problems) }
        config!.warnings = v.warnings
        return config!
    }
}

/// Every problem of a configuration, one line each, each naming its JSON path.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

