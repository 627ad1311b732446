/// YCSB's 64-bit FNV-1 hash of an integer (`Utils.fnvhash64`): eight octets, low first, XOR then multiply.
/// Used to scramble zipfian ranks over the key space and to name keys (`user<hash>`), as YCSB does.
enum FNVHash {
    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 1_099_511_628_211

    /// The hash of `value`, made non-negative as YCSB's `Math.abs` does (for a `Long`).
    static func hash64(_ value: UInt64) -> UInt64 {
        var hash = offsetBasis
        var rest = value
        for _ in 0..<8 {
            hash ^= rest & 0xFF
            hash = hash &* prime
            rest >>= 8
        }
        // Java's Math.abs on the signed value; Long.MIN_VALUE stays itself (its magnitude).
        let signed = Int64(bitPattern: hash)
        return signed < 0 ? UInt64(bitPattern: signed == .min ? signed : -signed) : hash
    }
}
