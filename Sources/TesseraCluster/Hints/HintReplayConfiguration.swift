/// Limits of hinted handoff: how fast hints are replayed, how long and how many are kept.
public struct HintReplayConfiguration: Sendable, Equatable {
    /// Cassandra's `hinted_handoff_throttle` default: 1024 KiB/s.
    public static let defaultThrottleBytesPerSecond = 1024 * 1024
    /// Cassandra's `max_hint_window` default: 3 hours.
    public static let defaultHintWindowMillis: UInt64 = 3 * 3600 * 1000
    /// Hints kept per target before new ones are dropped (and left to anti-entropy): 256 MiB.
    public static let defaultMaxBytesPerTarget = 256 << 20

    /// The cluster-wide replay budget of one returning node in bytes per second (Cassandra's anchor).
    public var throttleBytesPerSecond: Int
    /// Hints older than this are dropped instead of replayed.
    public var hintWindowMillis: UInt64
    /// Pending bytes per target beyond which new hints for that target are dropped.
    public var maxBytesPerTarget: Int
    /// Hints loaded from the store per batch.
    public var batchSize: Int
    /// Hints sent to one target and not yet acknowledged, at most.
    public var maxInFlight: Int
    /// After a failed send, wait this long before replaying to that target again.
    public var retryDelayMillis: UInt64
    /// Members of the cluster (this node included): the throttle is divided among the others.
    public var clusterSize: Int

    public init(
        throttleBytesPerSecond: Int = HintReplayConfiguration.defaultThrottleBytesPerSecond,
        hintWindowMillis: UInt64 = HintReplayConfiguration.defaultHintWindowMillis,
        maxBytesPerTarget: Int = HintReplayConfiguration.defaultMaxBytesPerTarget,
        batchSize: Int = 256,
        maxInFlight: Int = 64,
        retryDelayMillis: UInt64 = 1000,
        clusterSize: Int
    ) {
        self.throttleBytesPerSecond = throttleBytesPerSecond
        self.hintWindowMillis = hintWindowMillis
        self.maxBytesPerTarget = maxBytesPerTarget
        self.batchSize = max(1, batchSize)
        self.maxInFlight = max(1, maxInFlight)
        self.retryDelayMillis = retryDelayMillis
        self.clusterSize = max(1, clusterSize)
    }

    /// The rate this node replays to one target. As in Cassandra, the throttle is reduced in proportion to
    /// the cluster size: with `clusterSize - 1` other nodes possibly replaying to the same returning node at
    /// once, each takes its share, so the returning node receives at most about `throttleBytesPerSecond` in
    /// total. 0 (or less) means unthrottled.
    public var perTargetBytesPerSecond: Int {
        guard throttleBytesPerSecond > 0 else { return 0 }
        return max(1, throttleBytesPerSecond / max(1, clusterSize - 1))
    }
}
