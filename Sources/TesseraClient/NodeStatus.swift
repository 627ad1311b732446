public import TesseraCore

/// One member's state as `TesseraClient.status()` reports it: up with its counters, or down with the reason.
public struct NodeStatus: Hashable, Sendable {
    public var id: NodeID
    public var address: HostAddress
    /// True if the node answered STATUS.
    public var isUp: Bool
    /// Why the node counts as down (connection refused, timed out), when it does.
    public var error: String?
    /// Milliseconds since the node started serving.
    public var uptimeMillis: UInt64 = 0
    /// Storage's estimate of the keys the node holds (it may count overwritten or deleted keys until compaction).
    public var keys: UInt64 = 0
    /// Bytes of storage on disk.
    public var bytes: UInt64 = 0
    /// Client requests the node coordinated (gets, puts, deletes), and how many of them failed.
    public var gets: UInt64 = 0
    public var puts: UInt64 = 0
    public var deletes: UInt64 = 0
    public var failedRequests: UInt64 = 0
    /// Replica requests the node served for coordinators (including itself).
    public var replicaWrites: UInt64 = 0
    public var replicaReads: UInt64 = 0
    /// Peers the node's failure detector considers down.
    public var peersDown: [String] = []
    /// Further named counters the node reports (for example `readRepairs`).
    public var counters: [String: UInt64] = [:]
    /// Each peer as this node's failure detector sees it (empty from nodes without phi-accrual detection).
    public var peers: [PeerView] = []

    /// One peer as the reporting node sees it.
    public struct PeerView: Hashable, Sendable {
        public var id: NodeID
        public var isUp: Bool
        /// Phi-accrual suspicion: 0 right after hearing from it; the node declares it down above its threshold.
        public var phi: Double
        /// Milliseconds since the node last heard from it (nil: not since the node started).
        public var heardMillisAgo: UInt64?

        public init(id: NodeID, isUp: Bool, phi: Double, heardMillisAgo: UInt64?) {
            self.id = id
            self.isUp = isUp
            self.phi = phi
            self.heardMillisAgo = heardMillisAgo
        }
    }

    /// Every request the node served: the client requests it coordinated plus the replica requests.
    public var requestsServed: UInt64 { gets &+ puts &+ deletes &+ replicaWrites &+ replicaReads }

    public init(id: NodeID, address: HostAddress, isUp: Bool, error: String? = nil) {
        self.id = id
        self.address = address
        self.isUp = isUp
        self.error = error
    }
}
