/// How this node runs anti-entropy repair (flags of `tessera server`, docs/healing.md).
public struct RepairConfiguration: Sendable, Equatable {
    /// Background repair of this node's ranges every this many seconds; 0 turns the schedule off.
    public var intervalSeconds: Int
    /// Merkle depth (2^depth leaves per range) when a request does not say.
    public var depth: Int
    /// Deadline of each tree, cell or write request to a replica.
    public var requestTimeoutMillis: UInt64

    /// Every 24 hours (well inside the default 10-day tombstone grace period), depth 10, 60 s per request.
    public init(intervalSeconds: Int = 24 * 3600, depth: Int = 10, requestTimeoutMillis: UInt64 = 60_000) {
        self.intervalSeconds = intervalSeconds
        self.depth = depth
        self.requestTimeoutMillis = requestTimeoutMillis
    }
}
