public import TesseraCore

/// One member's most requested keys, as `TesseraClient.hotKeys()` reports them (`tessera hot`).
public struct NodeHotKeys: Hashable, Sendable {
    /// A key and its share of the node's requests of one kind.
    public struct HotKey: Hashable, Sendable {
        public var key: [UInt8]
        /// Decayed requests; the true figure lies in [count - error, count].
        public var count: Double
        public var error: Double
        /// count / the node's decayed total of this kind (0 when it served none).
        public var share: Double

        public init(key: [UInt8], count: Double, error: Double, share: Double) {
            self.key = key
            self.count = count
            self.error = error
            self.share = share
        }
    }

    public var id: NodeID
    public var address: HostAddress
    /// True if the node answered.
    public var isUp: Bool
    /// Why it counts as down, when it does.
    public var error: String?
    /// A request's weight halves every this many milliseconds.
    public var halfLifeMillis: UInt64 = 0
    /// Replica reads and writes recorded since the node started (not decayed).
    public var readsRecorded: UInt64 = 0
    public var writesRecorded: UInt64 = 0
    /// Heaviest first.
    public var reads: [HotKey] = []
    public var writes: [HotKey] = []

    public init(id: NodeID, address: HostAddress, isUp: Bool, error: String? = nil) {
        self.id = id
        self.address = address
        self.isUp = isUp
        self.error = error
    }
}
