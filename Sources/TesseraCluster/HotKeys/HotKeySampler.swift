public import TesseraCore

/// Which requests the hot-key sketch records, and with what weight: every request while traffic is light, one
/// in `oneIn` (chosen at random, weighing `oneIn`) of those beyond `fullPerWindow` in a `windowMillis` window, as
/// Cassandra's `toppartitions` samples instead of counting every request.
///
/// Why: on uniform traffic nearly every request misses the 64 monitored keys, and each miss replaces the
/// smallest counter (an index update and a heap sift); on the put path that was about 5% of a node's event loop
/// (issue 7, docs/benchmarks.md "Session 6"). Sampled, a key's expected count is unchanged (each request's
/// expected weight is 1: recorded with probability 1/oneIn at weight oneIn, or always at weight 1), so the
/// sketch's shares stay unbiased; a key with share s among the n sampled requests of a window is estimated within
/// about sqrt(s(1-s)/n). The random choice (not every `oneIn`-th request) keeps a client that cycles through a
/// few keys from being sampled on one of them only. Pure: the time is passed in.
public struct HotKeySampler: Sendable {
    /// Requests recorded one by one in each window before sampling starts.
    public static let fullPerWindow = 16
    /// The window length in milliseconds.
    public static let windowMillis: UInt64 = 10
    /// Beyond `fullPerWindow` in a window, one request in this many is recorded (at this weight).
    public static let oneIn: UInt64 = 8

    private var windowStart: UInt64 = 0
    private var inWindow = 0
    private var random: SplitMix64

    /// - Parameter seed: the sampling choices' seed (fixed per node; any value works).
    public init(seed: UInt64 = 0x7e55_e7a5) {
        random = SplitMix64(seed: seed)
    }

    /// The weight to record a request seen at `nowMillis` with, or nil to leave it out.
    @inline(__always)
    public mutating func weight(nowMillis: UInt64) -> Double? {
        if nowMillis &- windowStart >= Self.windowMillis {
            windowStart = nowMillis
            inWindow = 0
        }
        inWindow &+= 1
        if inWindow <= Self.fullPerWindow { return 1 }
        return random.next() % Self.oneIn == 0 ? Double(Self.oneIn) : nil
    }
}
