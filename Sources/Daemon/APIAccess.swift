import Foundation
import VicinotifyCore

/// Who may read `/v1/*`: bearer tokens (`http.tokens`), each read-only and optionally limited to
/// sources and campaigns, and the browser origins allowed to read it (`http.cors_origins`).
public struct APIAccess: Sendable {
    /// One bearer token and what it may see; empty lists mean everything.
    public struct Token: Sendable {
        public var secret: String
        public var sources: [String]
        public var campaigns: [String]

        public init(secret: String, sources: [String] = [], campaigns: [String] = []) {
            self.secret = secret
            self.sources = sources
            self.campaigns = campaigns
        }
    }

    public var tokens: [Token] = []
    public var corsOrigins: [String] = []

    public init(tokens: [Token] = [], corsOrigins: [String] = []) {
        self.tokens = tokens
        self.corsOrigins = corsOrigins
    }

    /// What a request may see: `nil` lists mean no limit.
    public struct Scope: Sendable, Equatable {
        public var sources: [String]?
        public var campaigns: [String]?
        public static let everything = Scope(sources: nil, campaigns: nil)

        /// Whether an alert rule can fire on an agent this scope sees (a rule without sources or
        /// campaigns can).
        func covers(_ rule: AlertRule) -> Bool {
            (sources == nil || rule.sources.isEmpty || rule.sources.contains { sources!.contains($0) })
                && (campaigns == nil || rule.campaigns.isEmpty || rule.campaigns.contains { campaigns!.contains($0) })
        }

        /// A queue rule is shown to a reader who may read one of its sources (the queues it sees are
        /// scoped by `/v1/queues`).
        func covers(_ rule: QueueRule) -> Bool {
            sources == nil || rule.sources.isEmpty || rule.sources.contains { sources!.contains($0) }
        }
    }

    public enum Denial: Error, Equatable {
        case missing, wrong
    }

    /// The scope of a request's token (`Authorization: Bearer`, or `access_token=` for `EventSource`,
    /// which cannot set headers). Without configured tokens everything is open.
    public func scope(authorization: String?, accessToken: String?) -> Result<Scope, Denial> {
        guard !tokens.isEmpty else { return .success(.everything) }
        var given = accessToken
        if let a = authorization, a.lowercased().hasPrefix("bearer ") { given = String(a.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        guard let given, !given.isEmpty else { return .failure(.missing) }
        guard let token = tokens.first(where: { Self.same($0.secret, given) }) else { return .failure(.wrong) }
        return .success(Scope(sources: token.sources.isEmpty ? nil : token.sources,
                              campaigns: token.campaigns.isEmpty ? nil : token.campaigns))
    }

    /// Whether a request's `Host` may be answered. With tokens, any: the token guards. Without, only a
    /// loopback name or the listen address itself, so a web page that rebinds its own DNS name to
    /// 127.0.0.1 (DNS rebinding) cannot read an open loopback listener from a browser on this host.
    public func allowsHost(_ header: String?, listenHost: String) -> Bool {
        guard tokens.isEmpty else { return true }
        guard let header = header?.trimmingCharacters(in: .whitespaces).lowercased(), !header.isEmpty else { return true }
        var host = Substring(header)
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return Self.isLoopback(String(host)) || String(host) == listenHost.lowercased()
    }

    /// The `Access-Control-Allow-Origin` value for a request's `Origin`, when that origin is allowed.
    public func allowedOrigin(_ origin: String?) -> String? {
        guard let origin, !corsOrigins.isEmpty else { return nil }
        return corsOrigins.contains("*") || corsOrigins.contains(origin) ? origin : nil
    }

    /// Compares in time that does not depend on where the texts differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }

    /// Whether `host` is a loopback address, where `/v1/*` may be served without tokens: a literal one
    /// (`127.0.0.0/8` as four numbers, `::1`) or `localhost`; a name such as `127.evil.example` is not one.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127"
            && parts.allSatisfy { $0.count <= 3 && !$0.isEmpty && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
    }
}
