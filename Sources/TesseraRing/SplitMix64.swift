/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so token allocation is a pure function of
/// the member list. Not for cryptography. Stable across platforms and Swift versions, unlike
/// `SystemRandomNumberGenerator`: DO NOT CHANGE, every node must compute the same tokens.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        state = state &+ 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
