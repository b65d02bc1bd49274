import VicinotifyCore

/// The journal's compact encoding of an `AgentState` (without the user, which is the row's key):
/// each field as a varint length and its UTF-8 bytes; absent optional fields as length 0xFF…FF.
enum AgentRecord {
    private static let absent: UInt64 = .max

    static func encode(_ s: AgentState) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        for field in [s.status, s.subStatus, s.pauseCode, String(s.leadID), s.callerID, s.campaignID, s.sessionID,
                      String(s.callsToday), s.fullName, s.userGroup, String(s.userLevel)] {
            put(field, &out)
        }
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

    private static func varint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
