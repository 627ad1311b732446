/// SplitMix64 (Steele, Lea, Flood 2014): the project's one seeded generator. Token allocation uses it, so
/// tokens are a pure function of the member list; benchmarks, fault schedules, fuzzers and simulations use it
/// so that a seed reproduces a run. Not for cryptography. Stable across platforms and Swift versions, unlike
/// `SystemRandomNumberGenerator`: DO NOT CHANGE, every node must compute the same tokens.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state = state &+ 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// `next() % n` (the tiny modulo bias is part of the storage benchmark's shared workload: keep it).
    @inline(__always)
    public mutating func uniform(_ n: UInt64) -> UInt64 { next() % n }

    /// A number in `0..<n` (`n > 0`), as `uniform`.
    @inline(__always)
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
