/// A node's hot keys: one space-saving sketch for the reads it served and one for the writes, as Cassandra's
/// `nodetool toppartitions` reports reads and writes apart. Pure: the node passes the time in.
public struct HotKeyTracker: Sendable {
    /// What `top` reports for one kind of request.
    public struct Report: Sendable, Hashable {
        /// Decayed requests of this kind in the window (all keys).
        public var total: Double
        /// Requests of this kind ever recorded.
        public var recorded: UInt64
        public var keys: [SpaceSavingSketch.Entry]
    }

    public private(set) var reads: SpaceSavingSketch
    public private(set) var writes: SpaceSavingSketch

    public init(capacity: Int = 64, halfLifeMillis: UInt64 = 30_000, nowMillis: UInt64 = 0) {
        reads = SpaceSavingSketch(capacity: capacity, halfLifeMillis: halfLifeMillis, nowMillis: nowMillis)
        writes = SpaceSavingSketch(capacity: capacity, halfLifeMillis: halfLifeMillis, nowMillis: nowMillis)
    }

    public mutating func recordRead(_ key: [UInt8], nowMillis: UInt64) { reads.record(key, nowMillis: nowMillis) }
    public mutating func recordWrite(_ key: [UInt8], nowMillis: UInt64) { writes.record(key, nowMillis: nowMillis) }

    /// The heaviest `limit` read keys and write keys as of `nowMillis`.
    public func top(_ limit: Int, nowMillis: UInt64) -> (reads: Report, writes: Report) {
        (
            Report(total: reads.total(nowMillis: nowMillis), recorded: reads.recorded, keys: reads.top(limit, nowMillis: nowMillis)),
            Report(total: writes.total(nowMillis: nowMillis), recorded: writes.recorded, keys: writes.top(limit, nowMillis: nowMillis))
        )
    }
}
