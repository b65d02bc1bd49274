import CurlHTTP
import Foundation
import MariaDB
import Simulator

/// A simulator on a free 127.0.0.1 port, driven through its HTTP control interface like any client would.
public struct RunningSimulator: Sendable {
    public let server: SimulatorServer
    public let http: CurlTransport

    /// - Parameter tick: seconds between simulated changes of the whole floor; `nil`: only scripted changes.
    /// - Parameter mirror: also write the floor into this MariaDB database's VICIdial tables (`--mirror-db`).
    public static func start(agents: Int = 5, seed: UInt64 = 1, loggedIn: Bool = true, tick: Double? = nil,
                             mirror: MariaDBConnectionOptions? = nil) async throws -> RunningSimulator {
        var config = SimulatorConfiguration()
        config.mirror = mirror
        config.tickInterval = tick
        config.agents = agents
        config.seed = seed
        config.startLoggedIn = loggedIn
        return RunningSimulator(server: try await SimulatorServer.start(config), http: CurlTransport())
    }

    public var apiURL: String { server.apiURL }

    /// Sends a control request; returns the JSON answer. Throws on a non-2xx answer.
    @discardableResult
    public func control(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let response = try await http.perform(HTTPRequest(method: method, url: server.baseURL + path,
                                                          headers: [("Content-Type", "application/json")], body: bytes))
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status) else {
            throw ControlError(message: "\(method.rawValue) \(path): HTTP \(response.status) \(json)")
        }
        return json
    }

    /// Logs `user` in if needed and sets the given fields.
    public func set(_ user: String, _ fields: [String: Any]) async throws {
        try await control(.post, "/sim/agents/\(user)", fields)
    }

    public func logout(_ user: String) async throws { try await control(.delete, "/sim/agents/\(user)") }

    /// The next `count` API requests (of `function`, if given) misbehave as described (see `/sim/fault`).
    public func fault(_ spec: [String: Any]) async throws { try await control(.post, "/sim/fault", spec) }

    public func auth(_ spec: [String: Any]) async throws { try await control(.post, "/sim/auth", spec) }

    /// The logged-in agents, in table order, as the simulator's JSON.
    public func agents() async throws -> [[String: Any]] {
        try await control(.get, "/sim/agents")["agents"] as? [[String: Any]] ?? []
    }

    /// API requests served so far, by function.
    public func requests(_ function: String) async throws -> Int {
        ((try await control(.get, "/sim/stats")["requests"] as? [String: Any])?[function] as? NSNumber)?.intValue ?? 0
    }

    /// Waits until the simulator has served `count` requests of `function` (bounded by `timeout`).
    public func waitForRequests(_ function: String, atLeast count: Int, timeout: Double = 10) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if try await requests(function) >= count { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The full `/sim/stats` answer.
    public func stats() async throws -> [String: Any] { try await control(.get, "/sim/stats") }

    public func stop() async { await server.shutdown() }
}

public struct ControlError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
