import VicinotifyCore

/// The journal's compact encoding of an `AgentState` (without the user, which its snapshot record holds):
/// each field as a varint length and its UTF-8 bytes; absent optional fields as length 0xFF…FF.
enum AgentRecord {
    private static let absent: UInt64 = .max

    /// Appends the encoding of `s` to `out`.
    static func encode(_ s: AgentState, into out: inout [UInt8]) {
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
        put(s.phoneNumber, &out)
        put(s.vendorLeadCode, &out)
        put(nil, &out)  // computer_ip, no longer tracked; kept so records stay 14 fields
        // What only the database source knows: 16 fields then (records of the API source stay 14).
        if s.liveAgentID != nil || s.callTypeLetter != nil || s.inGroups != nil {
            put(s.liveAgentID.map(String.init), &out)
            put(s.callTypeLetter, &out)
            put(s.inGroups?.joined(separator: " "), &out)
        }
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
        guard fields.count == 14 || fields.count == 17, let f = Optional(fields.prefix(11).map { $0 ?? "" }),
              let lead = Int64(f[3]), let calls = Int(f[7]), let level = Int(f[10]) else { return nil }
        return AgentState(user: user, status: f[0], subStatus: f[1], pauseCode: f[2], leadID: lead, callerID: f[4],
                          campaignID: f[5], sessionID: f[6], callsToday: calls, fullName: f[8], userGroup: f[9],
                          userLevel: level, phoneNumber: fields[11], vendorLeadCode: fields[12],
                          liveAgentID: fields.count == 17 ? fields[14].flatMap { Int64($0) } : nil,
                          callTypeLetter: fields.count == 17 ? fields[15] : nil,
                          inGroups: fields.count == 17 ? fields[16].map { $0.split(separator: " ").map(String.init) } : nil)
    }

    private static func put(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { bytes in
            varint(UInt64(bytes.count), &out)
            out.append(contentsOf: bytes)
        }
    }

    private static func put(_ s: String?, _ out: inout [UInt8]) {
        if let s { put(s, &out) } else { varint(absent, &out) }
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
