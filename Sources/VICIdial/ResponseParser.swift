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
        var scan = FieldScanner()
        let (rows, layout) = headed(lines, delimiter, firstColumn: "user", otherwise: loggedInColumns, scan: &scan)
        guard layout.user >= 0, layout.status >= 0 else {
            return .failure(PollFailure(.unparseable, "header line lacks the user or status column"))
        }
        // VICIdial answers NO LOGGED IN AGENTS for an empty floor: a header alone is a body cut short.
        guard !rows.isEmpty else {
            return .failure(PollFailure(.suspicious, "a header line with no agent row (VICIdial never sends that)"))
        }
        // Builds before 2.14 without show_sub_status support print 10 columns.
        let legacy = Layout(Array(loggedInColumns.prefix(10)), positional: true)
        var agents: [AgentState] = []
        agents.reserveCapacity(rows.count)
        for (n, row) in rows.enumerated() {
            scan.scan(row, delimiter)
            let cols = layout.positional && scan.ranges.count == 10 ? legacy : layout
            guard scan.fold(to: cols) else {
                return .failure(PollFailure(.unparseable, "row \(n + 1) has \(scan.ranges.count) fields, expected \(cols.count)"))
            }
            switch cols.agent(body, scan.ranges, user: nil) {
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
        var scan = FieldScanner()
        let (rows, layout) = headed(lines, delimiter, firstColumn: "status", otherwise: agentStatusColumns, scan: &scan)
        guard rows.count == 1, let row = rows.first else {
            return .failure(PollFailure(.unparseable, "expected one agent row, got \(rows.count)"))
        }
        scan.scan(row, delimiter)
        var cols = layout
        // computer_ip is only there when VICIdial finds an old enough login record.
        if cols.names.last == "computer_ip", scan.ranges.count < cols.count || !looksLikeIP(row[scan.ranges.last!]) {
            cols = Layout(Array(cols.names.dropLast()), positional: cols.positional)
        }
        guard scan.fold(to: cols) else {
            return .failure(PollFailure(.unparseable, "row has \(scan.ranges.count) fields, expected \(cols.count)"))
        }
        switch cols.agent(body, scan.ranges, user: agent) {
        case .success(let a): return .success(.loggedIn(a))
        case .failure(let why): return .failure(PollFailure(.unparseable, why.message))
        }
    }

    /// Separates a header line, recognised by its first column's name, from the rows. Without one, the
    /// rows are mapped by the documented column order `otherwise`.
    private static func headed(_ lines: [ArraySlice<UInt8>], _ delimiter: UInt8, firstColumn: String,
                               otherwise columns: [String], scan: inout FieldScanner) -> (ArraySlice<ArraySlice<UInt8>>, Layout) {
        guard let first = lines.first, scan.scan(first, delimiter), first[scan.ranges[0]].elementsEqual(firstColumn.utf8) else {
            return (lines[...], Layout(columns, positional: true))
        }
        return (lines.dropFirst(), Layout(scan.ranges.map { String(decoding: first[$0], as: UTF8.self) }, positional: false))
    }

    /// Classifies an `ERROR:` line that is a failure (not an empty floor or a logged-out agent).
    static func classify(_ line: String) -> PollFailure {
        if line.hasPrefix("ERROR: Login incorrect"), line.contains("|2FA|") { return PollFailure(.twoFactor, line) }
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
    static func split(_ body: [UInt8], password: String) -> Result<[ArraySlice<UInt8>], PollFailure> {
        if body.starts(with: [0x1F, 0x8B]) {
            return .failure(PollFailure(.unparseable, "a gzip-compressed body (a proxy compressed it?); VICIdial answers plain text"))
        }
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
            return .failure(PollFailure(.unparseable, "the body ends inside a line: the answer was cut short"))
        }
        return .success(lines)
    }

    private static func trimCR(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        s.last == 0x0D ? s.dropLast() : s
    }

    /// The redacted error text when the body is an API error (several `ERROR:` lines are joined).
    static func errorLines(_ lines: [ArraySlice<UInt8>], password: String) -> String? {
        guard lines[0].starts(with: "ERROR:".utf8) else { return nil }
        let text = lines.prefix(3).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        return Redactor.redact(text, password: password)
    }

    /// The first characters of an unexpected body, redacted before they are cut (so no prefix of the
    /// password survives at the cut).
    static func snippet(_ body: [UInt8], password: String) -> String {
        var text = Redactor.redact(String(decoding: body.prefix(4096), as: UTF8.self), password: password)
        if let t = text.range(of: "<title>", options: .caseInsensitive),
           let e = text.range(of: "</title>", options: .caseInsensitive, range: t.upperBound..<text.endIndex) {
            text = "title " + String(text[t.upperBound..<e.lowerBound])
        }
        return String(text.map { $0.isNewline ? " " : $0 }.prefix(120))
    }

    private static func looksLikeIP(_ f: ArraySlice<UInt8>) -> Bool {
        f.contains(UInt8(ascii: ".")) || f.contains(UInt8(ascii: ":"))
    }
}

/// Splits a row into field ranges (indices into the body), reusing one buffer for every row.
struct FieldScanner {
    var ranges: [Range<Int>] = []

    /// Always true, so it can sit in a condition list.
    @discardableResult
    mutating func scan(_ line: ArraySlice<UInt8>, _ delimiter: UInt8) -> Bool {
        ranges.removeAll(keepingCapacity: true)
        var start = line.startIndex
        line.withUnsafeBufferPointer { buf in
            for (i, b) in buf.enumerated() where b == delimiter {
                ranges.append(start..<(line.startIndex + i))
                start = line.startIndex + i + 1
            }
        }
        ranges.append(start..<line.endIndex)
        return true
    }

    /// Folds the extra fields of an unquoted delimiter inside `full_name` back into the name.
    /// Returns false when the row cannot match `layout`.
    mutating func fold(to layout: Layout) -> Bool {
        let extra = ranges.count - layout.count
        if extra == 0 { return true }
        guard extra > 0, layout.fullName >= 0 else { return false }
        let at = layout.fullName
        ranges[at] = ranges[at].lowerBound..<ranges[at + extra].upperBound
        ranges.removeSubrange((at + 1)...(at + extra))
        return true
    }
}

/// Column names of a row layout and the position of every field we read (-1: absent).
struct Layout {
    let names: [String]
    /// Taken from the API docs rather than a header line.
    let positional: Bool
    let user, status, subStatus, pauseCode, leadID, callerID, campaignID, sessionID, callsToday: Int
    let fullName, userGroup, userLevel, phoneNumber, vendorLeadCode: Int

    var count: Int { names.count }
    /// The most bytes of one field kept.
    static let maxFieldBytes = 256

    init(_ names: [String], positional: Bool) {
        self.names = names
        self.positional = positional
        func at(_ n: String...) -> Int { n.lazy.compactMap { names.firstIndex(of: $0) }.first ?? -1 }
        user = at("user"); status = at("status"); subStatus = at("sub_status", "real_time_sub_status")
        pauseCode = at("pause_code"); leadID = at("lead_id"); callerID = at("callerid", "call_id")
        campaignID = at("campaign_id"); sessionID = at("session_id"); callsToday = at("calls_today")
        fullName = at("full_name"); userGroup = at("user_group"); userLevel = at("user_level")
        phoneNumber = at("phone_number"); vendorLeadCode = at("vendor_lead_code")
    }

    /// Builds the agent of one folded row. `fixedUser` is the requested agent of an `agent_status` answer,
    /// whose row has no user column; it also marks the fields only `agent_status` reports.
    func agent(_ body: [UInt8], _ f: [Range<Int>], user fixedUser: String?) -> Result<AgentState, RowError> {
        // VICIdial's columns hold at most 100 characters: a longer field is cut, never copied whole into events.
        func text(_ col: Int) -> String { col < 0 ? "" : String(decoding: body[f[col]].prefix(Self.maxFieldBytes), as: UTF8.self) }
        func number(_ col: Int, _ name: String) throws(RowError) -> Int64 {
            guard col >= 0 else { return 0 }
            var v: Int64 = 0
            for b in body[f[col]] {
                guard b >= 48, b <= 57, v < Int64.max / 10 - 10 else {
                    throw RowError("\(name) '\(String(decoding: body[f[col]].prefix(20), as: UTF8.self))' is not a number")
                }
                v = v * 10 + Int64(b - 48)
            }
            return v
        }
        let user = fixedUser ?? text(self.user)
        guard !user.isEmpty else { return .failure(RowError("empty user")) }
        let statusBytes = status < 0 ? [][...] : body[f[status]]
        guard !statusBytes.isEmpty,
              statusBytes.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 })
        else { return .failure(RowError("status '\(String(decoding: statusBytes.prefix(20), as: UTF8.self))' is not a VICIdial status")) }
        do {
            let watch = fixedUser != nil
            return .success(AgentState(
                user: user, status: String(decoding: statusBytes, as: UTF8.self), subStatus: text(subStatus),
                pauseCode: text(pauseCode), leadID: try number(leadID, "lead_id"), callerID: text(callerID),
                campaignID: text(campaignID), sessionID: text(sessionID),
                callsToday: Int(try number(callsToday, "calls_today")), fullName: text(fullName),
                userGroup: text(userGroup), userLevel: Int(try number(userLevel, "user_level")),
                phoneNumber: watch ? text(phoneNumber) : nil, vendorLeadCode: watch ? text(vendorLeadCode) : nil))
        } catch {
            return .failure(error)
        }
    }
}

struct RowError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
