import VicinotifyCore

extension ResponseParser {
    /// `in_group_status`'s columns: one aggregate row per request (non_agent_api.php).
    static let inGroupColumns = ["ingroups", "total_calls", "calls_waiting", "agents_logged_in", "agents_in_calls", "agents_waiting",
                                 "agents_paused", "agents_in_dispo", "agents_in_dial"]

    /// Parses an `in_group_status` body for one in-group (or campaign): the figures the API gives. Waits,
    /// ringing and today's counts it does not give stay `nil`.
    public static func inGroupStatus(_ body: [UInt8], queue: String, kind: QueueState.Kind, delimiter: UInt8,
                                     password: String) -> Result<QueueState, PollFailure> {
        let lines: [ArraySlice<UInt8>]
        switch split(body, password: password) {
        case .failure(let f): return .failure(f)
        case .success(let l): lines = l
        }
        if let error = errorLines(lines, password: password) { return .failure(classify(error)) }
        let rows = lines.filter { !$0.starts(with: "ingroups".utf8) }
        guard let row = rows.first else { return .failure(PollFailure(.unparseable, "in_group_status for \(queue): no figures row")) }
        let fields = row.split(separator: delimiter, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count >= inGroupColumns.count else {
            return .failure(PollFailure(.unparseable, "in_group_status for \(queue): \(fields.count) fields, expected \(inGroupColumns.count)"))
        }
        let n = fields.dropFirst().prefix(8).map { Int($0.filter { $0 != " " }) }
        guard n.allSatisfy({ $0 != nil }) else {
            return .failure(PollFailure(.unparseable, "in_group_status for \(queue): a figure is not a number"))
        }
        let v = n.map { $0! }
        return .success(QueueState(queue: queue, kind: kind, callsWaiting: v[1], activeCalls: v[0], agentsLoggedIn: v[2],
                                   agentsReady: v[4], agentsInCall: v[3], agentsPaused: v[5], agentsInDispo: v[6]))
    }
}

extension APIRequest {
    static func inGroupStatus(_ s: VICIdialSource, queue: String) -> APIRequest {
        APIRequest(function: "in_group_status", fields: [("in_groups", queue), ("stage", s.stage.rawValue)])
    }
}
