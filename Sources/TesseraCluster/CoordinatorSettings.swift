public import TesseraCore

/// The knobs of a node's coordinator role (`NodeCoordinator`).
/// The bound on requests in flight is not here: admission control (`AdmissionControl`, `AdmissionLimits`) is
/// the node's one in-flight bound, applied before a request reaches the coordinator.
public struct CoordinatorSettings: Sendable, Equatable {
    /// N: home replicas per key.
    public var replicationFactor: Int
    /// A request's timeout when the client sends 0.
    public var defaultTimeoutMillis: UInt32
    /// The largest timeout a client may ask for (larger ones are clamped).
    public var maxTimeoutMillis: UInt32
    /// How reads fan out (spares after 30 ms by default).
    public var readFanOut: ReadFanOut
    /// Order each read's replicas with `ReplicaLoadRanking` (outstanding requests, recent latency) instead of
    /// this node first, then ring order.
    public var loadAwareReads: Bool
    /// Versions from other nodes more than this far ahead of the wall clock are refused (CockroachDB's
    /// max-offset; default 500 ms), so one bad message cannot drag the clock into the future.
    public var maxClockOffsetMillis: UInt64

    public init(
        replicationFactor: Int,
        defaultTimeoutMillis: UInt32 = 2000,
        maxTimeoutMillis: UInt32 = 60_000,
        readFanOut: ReadFanOut = .nodeDefault,
        loadAwareReads: Bool = false,
        maxClockOffsetMillis: UInt64 = HybridLogicalClock.defaultMaxOffsetMillis
    ) {
        self.replicationFactor = replicationFactor
        self.defaultTimeoutMillis = defaultTimeoutMillis
        self.maxTimeoutMillis = maxTimeoutMillis
        self.readFanOut = readFanOut
        self.loadAwareReads = loadAwareReads
        self.maxClockOffsetMillis = maxClockOffsetMillis
    }
}
