import VicinotifyCore

/// Parses and classifies non-agent API bodies. Fields are never quoted by VICIdial, so a row is mapped by
/// its header line when there is one, and by position from both ends around the free-text `full_name`.
public enum ResponseParser {
    /// What one `agent_status` answer says about its agent.
    public enum AgentStatus: Sendable, Equatable {
        case loggedIn(AgentState)
        case loggedOut
    }

    static let loggedInColumns = ["user", "campaign_id", "session_id", "status", "lead_id", "callerid", "calls_today",
                                  "full_name", "user_group", "user_level", "pause_code", "sub_status"]
    static let agentStatusColumns = ["status", "callerid", "lead_id", "campaign_id", "calls_today", "full_name",
                                     "user_group", "user_level", "pause_code", "real_time_sub_status", "phone_number",
                                     "vendor_lead_code", "session_id", "computer_ip"]

    /// Parses a `logged_in_agents` body (any stage, with or without header and sub-status columns).
    /// `NO LOGGED IN AGENTS` is an empty floor, not a failure.
    public static func loggedInAgents(_ body: [UInt8], delimiter: UInt8, password: String) -> Result<[AgentState], PollFailure> {
        let lines: [ArraySlice<UInt8>]
        switch split(body, password: password) {
        case .failure(let f): return .failure(f)
        case .success(let l): lines = l
        }
        if let error = errorLines(lines, password: password) {
            if error.hasPrefix("ERROR: logged_in_agents NO LOGGED IN AGENTS") { return .success([]) }
            return .failure(classify(error))
        }
        var rows = lines[...]
        var layout = Layout(loggedInColumns, positional: true)
        if let first = rows.first, fields(first, delimiter).first?.elementsEqual("user".utf8) == true {
            layout = Layout(fields(first, delimiter).map { String(decoding: $0, as: UTF8.self) }, positional: false)
            rows = rows.dropFirst()
            guard layout.index["user"] != nil, layout.index["status"] != nil else {
                return .failure(PollFailure(.unparseable, "header line lacks the user or status column"))
            }
        }
        var agents: [AgentState] = []
        agents.reserveCapacity(rows.count)
        for (n, row) in rows.enumerated() {
            let f = fields(row, delimiter)
            var cols = layout
            if cols.positional && f.count == 10 { cols = Layout(Array(loggedInColumns.prefix(10)), positional: true) }
            guard let m = cols.map(f, delimiter: delimiter) else {
                return .failure(PollFailure(.unparseable, "row \(n + 1) has \(f.count) fields, expected \(cols.names.count)"))
            }
            switch m.agent(user: nil, status: m["status"]) {
            case .success(let a): agents.append(a)
            case .failure(let why): return .failure(PollFailure(.unparseable, "row \(n + 1): \(why.message)"))
            }
        }
        return .success(agents)
    }

    /// Parses an `agent_status` body for `agent`.
    public static func agentStatus(_ body: [UInt8], agent: String, delimiter: UInt8, password: String) -> Result<AgentStatus, PollFailure> {
        let lines: [ArraySlice<UInt8>]
        switch split(body, password: password) {
        case .failure(let f): return .failure(f)
        case .success(let l): lines = l
        }
        if let error = errorLines(lines, password: password) {
            if error.hasPrefix("ERROR: agent_status AGENT NOT LOGGED IN") { return .success(.loggedOut) }
            return .failure(classify(error))
        }
        var rows = lines[...]
        var layout = Layout(agentStatusColumns, positional: true)
        if let first = rows.first, fields(first, delimiter).first?.elementsEqual("status".utf8) == true {
            layout = Layout(fields(first, delimiter).map { String(decoding: $0, as: UTF8.self) }, positional: false)
            rows = rows.dropFirst()
        }
        guard rows.count == 1, let row = rows.first else {
            return .failure(PollFailure(.unparseable, "expected one agent row, got \(rows.count)"))
        }
        let f = fields(row, delimiter)
        var cols = layout
        // computer_ip is only there when VICIdial finds an old enough login record.
        if cols.names.last == "computer_ip", f.count < cols.names.count || !looksLikeIP(f.last!) {
            cols = Layout(Array(cols.names.dropLast()), positional: cols.positional)
        }
        guard let m = cols.map(f, delimiter: delimiter) else {
            return .failure(PollFailure(.unparseable, "row has \(f.count) fields, expected \(cols.names.count)"))
        }
        switch m.agent(user: agent, status: m["status"]) {
        case .success(let a): return .success(.loggedIn(a))
        case .failure(let why): return .failure(PollFailure(.unparseable, why.message))
        }
    }

    /// Classifies an `ERROR:` line that is a failure (not an empty floor or a logged-out agent).
    static func classify(_ line: String) -> PollFailure {
        let rules: [(String, PollFailure.Reason)] = [
            ("ERROR: Login incorrect", .loginIncorrect),
            ("ERROR: Too many login attempts", .lockedOut),
            ("ERROR: Your IP Address is not allowed", .ipBlocked),
            ("ERROR: agent_status AGENT NOT FOUND", .agentNotFound),
        ]
        for (prefix, reason) in rules where line.hasPrefix(prefix) { return PollFailure(reason, line) }
        if line.contains("DOES NOT HAVE PERMISSION") { return PollFailure(.permissionDenied, line) }
        return PollFailure(.apiError, line)
    }

    // MARK: - Lines and fields

    /// Non-blank lines without their CR; rejects HTML, empty and truncated bodies.
    private static func split(_ body: [UInt8], password: String) -> Result<[ArraySlice<UInt8>], PollFailure> {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var endsWithNewline = true
        for i in body.indices where body[i] == 0x0A {
            lines.append(trimCR(body[start..<i]))
            start = i + 1
        }
        if start < body.count {
            lines.append(trimCR(body[start...]))
            endsWithNewline = false
        }
        while let last = lines.last, last.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            lines.removeLast()
            endsWithNewline = true  // the unterminated part was blank
        }
        lines.removeAll { $0.isEmpty }
        guard let first = lines.first else { return .failure(PollFailure(.unparseable, "empty body")) }
        let head = String(decoding: first.prefix(200), as: UTF8.self)
        if first.first == UInt8(ascii: "<") || head.lowercased().contains("<html") {
            return .failure(PollFailure(.unparseable, "an HTML page instead of API text: \(snippet(body, password: password))"))
        }
        if !endsWithNewline && !head.hasPrefix("ERROR:") {
            return .failure(PollFailure(.unparseable, "the body ends inside a line (truncated?)"))
        }
        return .success(lines)
    }

    private static func trimCR(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        s.last == 0x0D ? s.dropLast() : s
    }

    /// The redacted error text when the body is an API error (several `ERROR:` lines are joined).
    private static func errorLines(_ lines: [ArraySlice<UInt8>], password: String) -> String? {
        guard lines[0].starts(with: "ERROR:".utf8) else { return nil }
        let text = lines.prefix(3).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        return Redactor.redact(text, password: password)
    }

    static func fields(_ line: ArraySlice<UInt8>, _ delimiter: UInt8) -> [ArraySlice<UInt8>] {
        line.split(separator: delimiter, omittingEmptySubsequences: false)
    }

    static func snippet(_ body: [UInt8], password: String) -> String {
        var text = String(decoding: body.prefix(300), as: UTF8.self)
        if let t = text.range(of: "<title>", options: .caseInsensitive),
           let e = text.range(of: "</title>", options: .caseInsensitive, range: t.upperBound..<text.endIndex) {
            text = "title " + String(text[t.upperBound..<e.lowerBound])
        }
        let flat = String(text.map { $0.isNewline ? " " : $0 }.prefix(120))
        return Redactor.redact(flat, password: password)
    }

    private static func looksLikeIP(_ f: ArraySlice<UInt8>) -> Bool {
        f.contains(UInt8(ascii: ".")) || f.contains(UInt8(ascii: ":"))
    }
}

/// Column names of a row layout and their positions.
struct Layout {
    let names: [String]
    let index: [String: Int]
    /// Taken from the API docs rather than a header line.
    let positional: Bool

    init(_ names: [String], positional: Bool) {
        self.names = names
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() where index[n] == nil { index[n] = i }
        self.index = index
        self.positional = positional
    }

    /// Maps a row; extra fields (an unquoted delimiter inside `full_name`) are folded back into the name.
    func map(_ f: [ArraySlice<UInt8>], delimiter: UInt8) -> MappedRow? {
        let extra = f.count - names.count
        if extra == 0 { return MappedRow(layout: self, fields: f, delimiter: delimiter) }
        guard extra > 0, let nameAt = index["full_name"] else { return nil }
        var folded = Array(f[..<nameAt])
        folded.append(ArraySlice(f[nameAt...(nameAt + extra)].joined(separator: [delimiter])))
        folded.append(contentsOf: f[(nameAt + extra + 1)...])
        return MappedRow(layout: self, fields: folded, delimiter: delimiter)
    }
}

struct MappedRow {
    let layout: Layout
    let fields: [ArraySlice<UInt8>]
    let delimiter: UInt8

    subscript(_ name: String) -> String? {
        layout.index[name].map { String(decoding: fields[$0], as: UTF8.self) }
    }

    private func int(_ name: String) -> Result<Int64, RowError> {
        guard let i = layout.index[name] else { return .success(0) }
        let f = fields[i]
        if f.isEmpty { return .success(0) }
        var v: Int64 = 0
        for b in f {
            guard b >= 48, b <= 57, v < Int64.max / 10 - 10 else {
                return .failure(RowError("\(name) '\(String(decoding: f.prefix(20), as: UTF8.self))' is not a number"))
            }
            v = v * 10 + Int64(b - 48)
        }
        return .success(v)
    }

    func agent(user fixedUser: String?, status: String?) -> Result<AgentState, RowError> {
        guard let user = fixedUser ?? self["user"], !user.isEmpty else { return .failure(RowError("empty user")) }
        guard let status, !status.isEmpty,
              status.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 })
        else { return .failure(RowError("status '\(status?.prefix(20) ?? "")' is not a VICIdial status")) }
        let lead: Int64, calls: Int64, level: Int64
        switch int("lead_id") { case .success(let v): lead = v; case .failure(let e): return .failure(e) }
        switch int("calls_today") { case .success(let v): calls = v; case .failure(let e): return .failure(e) }
        switch int("user_level") { case .success(let v): level = v; case .failure(let e): return .failure(e) }
        return .success(AgentState(
            user: user, status: status,
            subStatus: self["sub_status"] ?? self["real_time_sub_status"] ?? "",
            pauseCode: self["pause_code"] ?? "", leadID: lead, callerID: self["callerid"] ?? self["call_id"] ?? "",
            campaignID: self["campaign_id"] ?? "", sessionID: self["session_id"] ?? "", callsToday: Int(calls),
            fullName: self["full_name"] ?? "", userGroup: self["user_group"] ?? "", userLevel: Int(level),
            phoneNumber: fixedUser == nil ? nil : (self["phone_number"] ?? ""),
            vendorLeadCode: fixedUser == nil ? nil : (self["vendor_lead_code"] ?? ""),
            computerIP: fixedUser == nil ? nil : (self["computer_ip"] ?? "")))
    }
}

struct RowError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
