/// Generates UUIDv7 event ids (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps
/// ids from one generator strictly increasing within a millisecond, then 62 random bits.
public struct EventIDGenerator: Sendable {
    private var lastMillis: Int64 = 0
    private var counter: UInt16 = 0
    private var random: SplitMix64

    public init(seed: UInt64 = UInt64.random(in: .min ... .max)) { random = SplitMix64(seed: seed) }

    /// A new id, canonical lowercase text form. Never smaller than the previous one from this generator.
    public mutating func next(at time: Timestamp) -> String {
        var millis = time.millisecondsSince1970
        if millis <= lastMillis {
            millis = lastMillis
            if counter == 0x0FFF { millis += 1; counter = 0 } else { counter += 1 }
        } else {
            counter = UInt16(truncatingIfNeeded: random.next() & 0x01FF)  // leave room to count up
        }
        lastMillis = millis
        let hi = (UInt64(millis) << 16) | 0x7000 | UInt64(counter)
        let lo = (random.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return EventIDGenerator.format(hi, lo)
    }

    static func format(_ hi: UInt64, _ lo: UInt64) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        var pos = 0
        func put(_ v: UInt64, nibbles: Int) {
            var shift = nibbles * 4 - 4
            for _ in 0..<nibbles {
                if pos == 8 || pos == 13 || pos == 18 || pos == 23 { pos += 1 }
                out[pos] = hex[Int((v >> UInt64(shift)) & 0xF)]
                pos += 1
                shift -= 4
            }
        }
        put(hi, nibbles: 16)
        put(lo, nibbles: 16)
        return String(decoding: out, as: UTF8.self)
    }
}

/// A small, fast, seedable PRNG (Steele, Lea, Flood 2014). Not for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
