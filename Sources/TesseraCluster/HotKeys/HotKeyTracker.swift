/// A node's hot keys: one space-saving sketch for the reads it served and one for the writes, as Cassandra's
/// `nodetool toppartitions` reports reads and writes apart. Busy streams are sampled (`HotKeySampler`): counts
/// and shares are unbiased estimates, exact while a stream is light. Pure: the node passes the time in.
public struct HotKeyTracker: Sendable {
    /// What `top` reports for one kind of request.
    public struct Report: Sendable, Hashable {
        /// Decayed requests of this kind in the window (all keys).
        public var total: Double
        /// Requests of this kind ever seen (sampled or not).
        public var recorded: UInt64
        public var keys: [SpaceSavingSketch.Entry]
    }

    public private(set) var reads: SpaceSavingSketch
    public private(set) var writes: SpaceSavingSketch
    private var readSampler = HotKeySampler(seed: 0x2ead)
    private var writeSampler = HotKeySampler(seed: 0x3717e)
    private var readsSeen: UInt64 = 0
    private var writesSeen: UInt64 = 0

    public init(capacity: Int = 64, halfLifeMillis: UInt64 = 30_000, nowMillis: UInt64 = 0) {
        reads = SpaceSavingSketch(capacity: capacity, halfLifeMillis: halfLifeMillis, nowMillis: nowMillis)
        writes = SpaceSavingSketch(capacity: capacity, halfLifeMillis: halfLifeMillis, nowMillis: nowMillis)
    }

    /// A read of `key` was served at `nowMillis`.
    public mutating func recordRead(_ key: [UInt8], nowMillis: UInt64) {
        readsSeen &+= 1
        if let times = readSampler.weight(nowMillis: nowMillis) { reads.record(key, nowMillis: nowMillis, times: times) }
    }

    /// A write of `key` was served at `nowMillis`.
    public mutating func recordWrite(_ key: [UInt8], nowMillis: UInt64) {
        writesSeen &+= 1
        if let times = writeSampler.weight(nowMillis: nowMillis) { writes.record(key, nowMillis: nowMillis, times: times) }
    }

    /// The heaviest `limit` read keys and write keys as of `nowMillis`.
    public func top(_ limit: Int, nowMillis: UInt64) -> (reads: Report, writes: Report) {
        (
            Report(total: reads.total(nowMillis: nowMillis), recorded: readsSeen, keys: reads.top(limit, nowMillis: nowMillis)),
            Report(total: writes.total(nowMillis: nowMillis), recorded: writesSeen, keys: writes.top(limit, nowMillis: nowMillis))
        )
    }
}
