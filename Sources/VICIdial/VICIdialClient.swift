import CurlHTTP
import HandOverTrace
import VicinotifyCore

/// Polls one VICIdial source over a shared `CurlTransport`. Each call to `poll(known:)` is one poll: one
/// request in `logged_in_agents` mode, one per watched agent (at most `concurrency` at once) in
/// `agent_status` mode. A poll never sends more than one request that can fail to log in: the first
/// request goes alone, and a credential failure ends the poll before anything else is sent.
public final class VICIdialClient: Sendable {
    public let source: VICIdialSource
    private let transport: CurlTransport
    /// Out-of-view agents are checked again after this many seconds, so a logout out of view is seen.
    public static let outOfViewRecheck = 60.0
    private let queuesRead = QueueClock()

    public init(source: VICIdialSource, transport: CurlTransport) {
        self.source = source
        self.transport = transport
    }

    /// The URL of a poll with the password masked: safe to log and to put in events.
    public var redactedURL: String { source.url }

    public func poll(known: KnownFloor = KnownFloor()) async -> Result<FloorSnapshot, PollFailure> {
        switch source.mode {
        case .loggedInAgents:
            let visible: [AgentState]
            switch await fetch(APIRequest.loggedInAgents(source)) {
            case .failure(let f): return .failure(f)
            case .success(let body):
                switch ResponseParser.loggedInAgents(body, delimiter: source.stage.delimiter, password: source.password) {
                case .failure(let f): return .failure(f)
                case .success(let agents): visible = agents
                }
            }
            guard known.believes(seen: visible.count) else {
                return .failure(PollFailure(.suspicious, "the floor fell from \(known.users.count) to \(visible.count) agents "
                                            + "in one poll; believed only if the next poll shows the same"))
            }
            return await withQueues(await verifyVanished(visible: visible, known: known))
        case .agentStatus:
            return await withQueues(await pollWatchList(known: known))
        case .database:
            return .failure(PollFailure(.apiError, "a database source is read by DatabaseFloorReader, not over the API"))
        }
    }

    /// `floor` with the watched queues' figures: one `in_group_status` request per queue, after the floor.
    private func withQueues(_ floor: Result<FloorSnapshot, PollFailure>) async -> Result<FloorSnapshot, PollFailure> {
        guard case .success(var snapshot) = floor, let selection = source.queues, !selection.inGroups.isEmpty,
              queuesRead.due(selection) else { return floor }
        var queues: [QueueState] = []
        for queue in selection.inGroups {
            let answer = await fetch(APIRequest.inGroupStatus(source, queue: queue)).flatMap {
                ResponseParser.inGroupStatus($0, queue: queue, kind: .inGroup, delimiter: source.stage.delimiter, password: source.password)
            }
            switch answer {
            case .success(let q): queues.append(selection.scoped(q))
            case .failure(let f):
                snapshot.queueFailure = PollFailure(f.reason, "in_group_status \(queue): \(f.message)")
                return .success(snapshot)
            }
        }
        snapshot.queues = queues
        return .success(snapshot)
    }

    /// A filtered or restricted answer drops agents who moved out of view: ask `agent_status` (which
    /// ignores campaign filters) about each agent that vanished, and about out-of-view agents due a check.
    private func verifyVanished(visible: [AgentState], known: KnownFloor) async -> Result<FloorSnapshot, PollFailure> {
        var snapshot = FloorSnapshot(agents: visible)
        guard source.verifiesLogouts else { return .success(snapshot) }
        let seen = Set(visible.map(\.user))
        var ask: [String] = []
        for user in known.users.sorted() where !seen.contains(user) {
            if let checked = known.outOfView[user], known.now.seconds(since: checked) < Self.outOfViewRecheck {
                snapshot.outOfView[user] = checked
            } else {
                ask.append(user)
            }
        }
        for (user, result) in await agentStatuses(ask) {
            switch result {
            case .success(.loggedIn(var state)):
                snapshot.outOfView[user] = known.now
                // Only the move out of view is an event; while out of view the agent is kept as it was.
                guard known.outOfView[user] == nil else { continue }
                // The floor's other rows come from logged_in_agents, which has no phone or vendor code.
                state.phoneNumber = nil
                state.vendorLeadCode = nil
                snapshot.agents.append(state)
            case .success(.loggedOut): break
            case .failure(let f) where f.reason == .agentNotFound:
                snapshot.notFound.append(user)
                snapshot.outOfView[user] = known.now
            case .failure(let f) where f.isCredentialProblem: return .failure(f)
            case .failure:
                // Undecided: keep the agent as it was and ask again next poll.
                if let checked = known.outOfView[user] { snapshot.outOfView[user] = checked } else { snapshot.undecided.insert(user) }
            }
        }
        return .success(snapshot)
    }

    private func pollWatchList(known: KnownFloor) async -> Result<FloorSnapshot, PollFailure> {
        var snapshot = FloorSnapshot(agents: [])
        var failure: PollFailure?
        for (agent, result) in await agentStatuses(source.agents) {
            switch result {
            case .success(.loggedIn(let a)): snapshot.agents.append(a)
            case .success(.loggedOut): break
            case .failure(let f) where f.reason == .agentNotFound:
                snapshot.notFound.append(agent)
                // A restricted API user gets AGENT NOT FOUND for agents outside its viewable groups.
                if known.users.contains(agent) { snapshot.outOfView[agent] = known.outOfView[agent] ?? known.now }
            case .failure(let f):
                if failure == nil || (f.isCredentialProblem && !failure!.isCredentialProblem) { failure = f }
            }
        }
        if let failure { return .failure(failure) }
        return .success(snapshot)
    }

    /// `agent_status` for each agent, in order. The first request goes alone and proves the login; the
    /// rest run `concurrency` at once, and a credential failure sends nothing more: the answers gathered
    /// end with that failure.
    private func agentStatuses(_ agents: [String]) async -> [(String, Result<ResponseParser.AgentStatus, PollFailure>)] {
        guard let first = agents.first else { return [] }
        let proof = await agentStatus(first)
        if case .failure(let f) = proof, f.isCredentialProblem { return [(first, proof)] }
        var results = [Result<ResponseParser.AgentStatus, PollFailure>?](repeating: nil, count: agents.count)
        results[0] = proof
        var credentialFailure: (Int, PollFailure)?
        await withTaskGroup(of: (Int, Result<ResponseParser.AgentStatus, PollFailure>).self) { group in
            var next = 1
            func add() {
                let i = next
                next += 1
                group.addTask { (i, await self.agentStatus(agents[i])) }
            }
            while next < min(max(1, source.concurrency) + 1, agents.count) { add() }
            for await (i, r) in group {
                results[i] = r
                if case .failure(let f) = r, f.isCredentialProblem, credentialFailure == nil { credentialFailure = (i, f) }
                if credentialFailure == nil, next < agents.count { add() }
            }
        }
        if let (i, f) = credentialFailure { return [(agents[i], .failure(f))] }
        return agents.indices.map { (agents[$0], results[$0]!) }
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
        let http = HTTPRequest(method: .post, url: source.url,
                               headers: [("Content-Type", "application/x-www-form-urlencoded")],
                               body: Array(request.form(for: source).utf8), timeout: source.timeout,
                               connectTimeout: min(source.connectTimeout, source.timeout), caFile: source.caFile,
                               maxResponseBytes: source.maxResponseBytes)
        do {
            let response = try await transport.perform(http)
            HandOverTrace.mark("source.answer")
            guard response.status == 200 else {
                var detail = response.body.isEmpty
                    ? "empty body" : ResponseParser.snippet(response.body, password: source.password)
                if (300..<400).contains(response.status), let location = response.header("location") {
                    detail += "; Location: " + Redactor.redact(location, password: source.password)
                }
                if response.status == 404 {
                    detail += "; VICIdial's API is at http(s)://HOST/vicidial/non_agent_api.php: check the source's url"
                }
                return .failure(PollFailure(.httpStatus, "HTTP \(response.status) (\(detail))"))
            }
            if response.truncated {
                return .failure(PollFailure(.tooLarge, "the answer exceeded \(source.maxResponseBytes) bytes (max_response_bytes)"))
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
