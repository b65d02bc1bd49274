import CurlHTTP
import VicinotifyCore

/// What a successful poll saw.
public struct FloorSnapshot: Sendable, Equatable {
    /// Every logged-in agent, in server order.
    public var agents: [AgentState]
    /// Watched agents (`agent_status` mode) that VICIdial does not know: a configuration problem.
    public var unknownAgents: [String]

    public init(agents: [AgentState], unknownAgents: [String] = []) {
        self.agents = agents
        self.unknownAgents = unknownAgents
    }
}

/// Polls one VICIdial source over a shared `CurlTransport`. Each call to `poll()` is one poll: one
/// request in `logged_in_agents` mode, one per watched agent (at most `concurrency` at once) in
/// `agent_status` mode.
public final class VICIdialClient: Sendable {
    public let source: VICIdialSource
    private let transport: CurlTransport

    public init(source: VICIdialSource, transport: CurlTransport) {
        self.source = source
        self.transport = transport
    }

    /// The URL of a poll with the password masked: safe to log and to put in events.
    public var redactedURL: String {
        switch source.mode {
        case .loggedInAgents: APIRequest.loggedInAgents(source).url(for: source, redacted: true)
        case .agentStatus: APIRequest(function: "agent_status", fields: []).url(for: source, redacted: true)
        }
    }

    public func poll() async -> Result<FloorSnapshot, PollFailure> {
        switch source.mode {
        case .loggedInAgents:
            switch await fetch(APIRequest.loggedInAgents(source)) {
            case .failure(let f): return .failure(f)
            case .success(let body):
                return ResponseParser.loggedInAgents(body, delimiter: source.stage.delimiter, password: source.password)
                    .map { FloorSnapshot(agents: $0) }
            }
        case .agentStatus:
            return await pollWatchList()
        }
    }

    private func pollWatchList() async -> Result<FloorSnapshot, PollFailure> {
        let agents = source.agents
        var results = [Result<ResponseParser.AgentStatus, PollFailure>?](repeating: nil, count: agents.count)
        await withTaskGroup(of: (Int, Result<ResponseParser.AgentStatus, PollFailure>).self) { group in
            var next = 0
            func add() {
                let i = next
                next += 1
                group.addTask { (i, await self.agentStatus(agents[i])) }
            }
            while next < min(max(1, source.concurrency), agents.count) { add() }
            for await (i, r) in group {
                results[i] = r
                if next < agents.count { add() }
            }
        }
        var snapshot = FloorSnapshot(agents: [])
        var failure: PollFailure?
        for (i, r) in results.enumerated() {
            switch r! {
            case .success(.loggedIn(let a)): snapshot.agents.append(a)
            case .success(.loggedOut): break
            case .failure(let f) where f.reason == .agentNotFound: snapshot.unknownAgents.append(agents[i])
            case .failure(let f):
                if failure == nil || (f.isCredentialProblem && !failure!.isCredentialProblem) { failure = f }
            }
        }
        if let failure { return .failure(failure) }
        return .success(snapshot)
    }

    private func agentStatus(_ agent: String) async -> Result<ResponseParser.AgentStatus, PollFailure> {
        switch await fetch(APIRequest.agentStatus(source, agent: agent)) {
        case .failure(let f): return .failure(f)
        case .success(let body):
            return ResponseParser.agentStatus(body, agent: agent, delimiter: source.stage.delimiter, password: source.password)
        }
    }

    /// The body of a 200 answer, or the failure.
    private func fetch(_ request: APIRequest) async -> Result<[UInt8], PollFailure> {
        let http = HTTPRequest(url: request.url(for: source), timeout: source.timeout,
                               connectTimeout: min(source.connectTimeout, source.timeout), caFile: source.caFile)
        do {
            let response = try await transport.perform(http)
            guard response.status == 200 else {
                let detail = response.body.isEmpty
                    ? "empty body" : ResponseParser.snippet(response.body, password: source.password)
                return .failure(PollFailure(.httpStatus, "HTTP \(response.status) (\(detail))"))
            }
            return .success(response.body)
        } catch let error as HTTPTransportError {
            let message = Redactor.redact(error.message, password: source.password)
            return .failure(PollFailure(error.kind == .timeout ? .timeout : .transport, message))
        } catch {
            return .failure(PollFailure(.transport, Redactor.redact("\(error)", password: source.password)))
        }
    }
}
