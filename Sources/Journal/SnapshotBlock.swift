import VicinotifyCore

/// The persisted snapshot of a source, kept in a fixed number of blocks by a hash of the user: a poll
/// rewrites only the blocks its changes touch, a few hundred blobs at most instead of one row per agent.
/// A block is a sequence of records: user, state (`AgentRecord`), and observed-since milliseconds, each
/// as a varint length (or value) and bytes. Unchanged records are copied as bytes, never decoded.
enum SnapshotBlock {
    static let count = 256

    /// The block holding `user`: FNV-1a of its UTF-8 bytes, stable across runs and platforms.
    static func index(of user: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for b in user.utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return Int(hash % UInt32(count))
    }

    /// A poll's change to one agent's record: its new state, or `nil` when it logged out, and when that
    /// state began (`since`, see `sinceField`).
    typealias Change = (user: String, state: AgentState?, since: Int64)

    /// The stored `since` of a record: the state's start in Unix milliseconds, or, negated, when it was
    /// first observed if its start was not seen.
    static func sinceField(_ since: Timestamp, known: Bool) -> Int64 {
        known ? since.millisecondsSince1970 : -since.millisecondsSince1970
    }

    static func observed(_ state: AgentState, sinceField v: Int64) -> ObservedAgent {
        ObservedAgent(state: state, since: Timestamp(millisecondsSince1970: v == .min ? 0 : abs(v)),
                      sinceKnown: v >= 0)
    }

    /// `bytes` with `changes` (all of users in this block) applied: changed and removed records in place,
    /// new ones at the end; of several changes of one user, the last counts. `nil` when `bytes` is damaged.
    static func applying(_ changes: [Change], to bytes: [UInt8]) -> [UInt8]? {
        // Changes by a 64-bit hash of the user, so each stored record costs one binary search.
        let byHash = changes.indices.map { (hash: hash64(changes[$0].user.utf8), index: $0) }
            .sorted { ($0.hash, $0.index) < ($1.hash, $1.index) }
        var done = [Bool](repeating: false, count: changes.count)
        for k in byHash.indices.dropLast() where byHash[k].hash == byHash[k + 1].hash {
            for later in byHash[(k + 1)...].prefix(while: { $0.hash == byHash[k].hash })
            where changes[later.index].user == changes[byHash[k].index].user {
                done[byHash[k].index] = true  // superseded by a later change of the same user
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + changes.count * 128)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(128)
        func write(_ i: Int) {
            guard let state = changes[i].state else { return }
            scratch.removeAll(keepingCapacity: true)
            AgentRecord.encode(state, into: &scratch)
            append(user: changes[i].user.utf8, state: scratch, since: changes[i].since, to: &out)
        }
        let ok = walk(bytes) { user, _, _, whole in
            let h = hash64(user)
            var k = lowerBound(byHash, h)
            while k < byHash.count, byHash[k].hash == h {
                let i = byHash[k].index
                if !done[i], changes[i].user.utf8.elementsEqual(user) {
                    done[i] = true
                    write(i)
                    return
                }
                k += 1
            }
            out.append(contentsOf: whole)
        }
        guard ok else { return nil }
        for i in changes.indices where !done[i] { write(i) }
        return out
    }

    private static func hash64(_ bytes: some Collection<UInt8>) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for b in bytes { hash = (hash ^ UInt64(b)) &* 1_099_511_628_211 }
        return hash
    }

    private static func lowerBound(_ sorted: [(hash: UInt64, index: Int)], _ hash: UInt64) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid].hash < hash { low = mid + 1 } else { high = mid }
        }
        return low
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
