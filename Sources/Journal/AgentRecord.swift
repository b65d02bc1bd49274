import VicinotifyCore

/// The journal's compact encoding of an `AgentState` (without the user, which is the row's key):
/// each field as a varint length and its UTF-8 bytes; absent optional fields as length 0xFF…FF.
enum AgentRecord {
    private static let absent: UInt64 = .max

    static func encode(_ s: AgentState) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        put(s.status, &out)
        put(s.subStatus, &out)
        put(s.pauseCode, &out)
        put(s.leadID, &out)
        put(s.callerID, &out)
        put(s.campaignID, &out)
        put(s.sessionID, &out)
        put(Int64(s.callsToday), &out)
        put(s.fullName, &out)
        put(s.userGroup, &out)
        put(Int64(s.userLevel), &out)
        for field in [s.phoneNumber, s.vendorLeadCode, s.computerIP] {
            if let f = field { put(f, &out) } else { varint(absent, &out) }
        }
        return out
    }

    static func decode(_ bytes: [UInt8], user: String) -> AgentState? {
        var i = 0
        var fields: [String?] = []
        while i < bytes.count {
            var n: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { return nil }
                let b = bytes[i]
                i += 1
                n |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            if n == absent { fields.append(nil); continue }
            guard n <= UInt64(bytes.count - i) else { return nil }
            fields.append(String(decoding: bytes[i..<(i + Int(n))], as: UTF8.self))
            i += Int(n)
        }
        guard fields.count == 14, let f = Optional(fields.prefix(11).map { $0 ?? "" }),
              let lead = Int64(f[3]), let calls = Int(f[7]), let level = Int(f[10]) else { return nil }
        return AgentState(user: user, status: f[0], subStatus: f[1], pauseCode: f[2], leadID: lead, callerID: f[4],
                          campaignID: f[5], sessionID: f[6], callsToday: calls, fullName: f[8], userGroup: f[9],
                          userLevel: level, phoneNumber: fields[11], vendorLeadCode: fields[12], computerIP: fields[13])
    }

    private static func put(_ s: String, _ out: inout [UInt8]) {
        varint(UInt64(s.utf8.count), &out)
        out.append(contentsOf: s.utf8)
    }

    /// A number as its decimal text, like `put(String(n))` without the `String`.
    private static func put(_ n: Int64, _ out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = n.magnitude
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            } while v > 0
        }
        varint(UInt64(count + (n < 0 ? 1 : 0)), &out)
        if n < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { out.append(contentsOf: $0[(20 - count)...]) }
    }

    static func varint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}

/// The persisted snapshot of a source, kept in a fixed number of blocks by a hash of the user: a poll
/// rewrites only the blocks its changes touch, a few hundred blobs at most instead of one row per agent.
/// A block is a sequence of records: user, state (`AgentRecord`), and observed-since milliseconds, each
/// as a varint length (or value) and bytes. Unchanged records are copied as bytes, never decoded.
enum SnapshotBlock {
    static let count = 256

    /// A record's new content; `nil` removes the agent.
    typealias Update = (state: [UInt8], since: Int64)?

    /// The block holding `user`: FNV-1a of its UTF-8 bytes, stable across runs and platforms.
    static func index(of user: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for b in user.utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return Int(hash % UInt32(count))
    }

    /// `bytes` with `updates` (by the user's UTF-8 bytes) applied: replaced and removed records in place,
    /// new ones at the end. `nil` when `bytes` is damaged.
    static func applying(_ updates: [ArraySlice<UInt8>: Update], to bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + updates.count * 112)
        var pending = updates
        let ok = walk(bytes) { user, state, since, whole in
            if let update = pending.removeValue(forKey: user) {
                if let update { append(user: user, state: update.state, since: update.since, to: &out) }
            } else {
                out.append(contentsOf: whole)
            }
        }
        guard ok else { return nil }
        for (user, update) in pending {
            if let update { append(user: user, state: update.state, since: update.since, to: &out) }
        }
        return out
    }

    /// Every record of a block, decoded; `nil` when damaged.
    static func records(_ bytes: [UInt8]) -> [(user: String, state: [UInt8], since: Int64)]? {
        var all: [(user: String, state: [UInt8], since: Int64)] = []
        let ok = walk(bytes) { user, state, since, _ in all.append((String(decoding: user, as: UTF8.self), Array(state), since)) }
        return ok ? all : nil
    }

    static func append(user: some Collection<UInt8>, state: [UInt8], since: Int64, to out: inout [UInt8]) {
        AgentRecord.varint(UInt64(user.count), &out)
        out.append(contentsOf: user)
        AgentRecord.varint(UInt64(state.count), &out)
        out.append(contentsOf: state)
        AgentRecord.varint(UInt64(bitPattern: since), &out)
    }

    /// Calls `body` with each record's user, state, since and whole bytes; false when damaged.
    private static func walk(_ bytes: [UInt8],
                             _ body: (ArraySlice<UInt8>, ArraySlice<UInt8>, Int64, ArraySlice<UInt8>) -> Void) -> Bool {
        var i = 0
        func varint() -> UInt64? {
            var n: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count, shift < 64 {
                let b = bytes[i]
                i += 1
                n |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return n }
                shift += 7
            }
            return nil
        }
        func field() -> ArraySlice<UInt8>? {
            guard let n = varint(), n <= UInt64(bytes.count - i) else { return nil }
            defer { i += Int(n) }
            return bytes[i..<(i + Int(n))]
        }
        while i < bytes.count {
            let start = i
            guard let user = field(), let state = field(), let since = varint() else { return false }
            body(user, state, Int64(bitPattern: since), bytes[start..<i])
        }
        return true
    }
}
