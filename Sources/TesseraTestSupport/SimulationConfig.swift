public import TesseraCluster
public import TesseraCore

/// What one `ClusterSimulator` run looks like: cluster shape, workload, levels and faults. Every random choice
/// inside the run comes from the run's seed.
public struct SimulationConfig: Sendable {
    /// Nodes; each is a coordinator and a replica, as in production.
    public var nodes: Int = 3
    /// N.
    public var replicationFactor: Int = 3
    /// Client processes, each with one operation outstanding.
    public var clients: Int = 4
    /// Registers (keys) the clients read and write.
    public var keys: Int = 2
    /// Operations each client runs.
    public var operationsPerClient: Int = 8
    /// Percent of operations that are writes (unique values); the rest are reads.
    public var writePercent: UInt64 = 50
    public var writeLevel: ConsistencyLevel = .quorum
    public var readLevel: ConsistencyLevel = .quorum
    /// Delay, drops and duplicates.
    public var network: NetworkFaults = .reliable
    /// Random partitions (random halves, healed after a while).
    public var partitions = false
    /// Random crashes and restarts (storage survives, in-flight requests and clocks do not).
    public var crashes = false
    /// Each node's wall clock is off by up to this many milliseconds either way.
    public var maxClockSkewMillis: UInt64 = 0
    /// Percent of replica writes that fail with a storage error (nothing applied).
    public var storageErrorPercent: UInt64 = 0
    /// Percent of requests whose coordinator has a wrong view of who is alive (one node flipped).
    public var staleViewPercent: UInt64 = 10
    /// Client request timeout.
    public var timeoutMillis: UInt32 = 200
    /// How reads fan out (the node's default).
    public var readFanOut: ReadFanOut = .nodeDefault

    public init() {}
}
