/// A node's most requested keys (HOT_KEYS_RESULT): the reads and the writes it served as a replica, each from
/// its space-saving sketch, with counts decayed by `halfLifeMillis`.
public struct WireHotKeys: Sendable, Hashable {
    /// One key of a section.
    public struct Key: Sendable, Hashable {
        public var key: [UInt8]
        /// Decayed requests (an overestimate by at most `error`).
        public var count: Double
        public var error: Double

        public init(key: [UInt8], count: Double, error: Double) {
            self.key = key
            self.count = count
            self.error = error
        }
    }

    /// The reads or the writes.
    public struct Section: Sendable, Hashable {
        /// Requests of this kind recorded since the node started (not decayed).
        public var recorded: UInt64
        /// Decayed requests of this kind, all keys: the denominator of a key's share.
        public var total: Double
        /// Heaviest first.
        public var keys: [Key]

        public init(recorded: UInt64, total: Double, keys: [Key]) {
            self.recorded = recorded
            self.total = total
            self.keys = keys
        }
    }

    public var nodeID: String
    public var halfLifeMillis: UInt64
    public var reads: Section
    public var writes: Section

    public init(nodeID: String, halfLifeMillis: UInt64, reads: Section, writes: Section) {
        self.nodeID = nodeID
        self.halfLifeMillis = halfLifeMillis
        self.reads = reads
        self.writes = writes
    }
}
