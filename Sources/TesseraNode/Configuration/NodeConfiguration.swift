public import TesseraCluster
public import TesseraCore
public import TesseraStorage

/// Everything a node needs to start: who it is, where it listens, its data directory and the cluster.
///
/// Static membership: every node gets the same member list; the ring is `Ring(members:virtualNodes:)` over
/// it in list order, so all nodes compute the same ring.
public struct NodeConfiguration: Sendable {
    public var nodeID: NodeID
    public var listenHost: String
    /// 0 picks a free port (tests); the chosen port is `TesseraNodeServer.port`.
    public var listenPort: Int
    /// The node's directory: `DIR/node.sqlite` (identity) and `DIR/data` (storage).
    public var dataDirectory: String
    /// All members including this node, in the same order on every node.
    public var members: [MemberAddress]
    public var replicationFactor: Int
    public var virtualNodes: Int
    public var clusterName: String
    public var syncPolicy: SyncPolicy
    /// Used when a request says timeout 0.
    public var defaultTimeoutMillis: UInt32 = 2000
    /// Requests asking for more are capped to this.
    public var maxTimeoutMillis: UInt32 = 60_000
    /// How often each peer is pinged.
    public var pingIntervalMillis: Int = 500
    /// A ping not answered within this long is abandoned (the phi-accrual detector decides when a peer is down).
    public var peerDownAfterMillis: Int = 1500
    /// Phi-accrual suspicion level at which a peer is declared down (`--phi-threshold`; Cassandra's default 8).
    public var phiThreshold: Double = 8
    /// How long shutdown waits for in-flight requests.
    public var shutdownGraceMillis: Int = 5000
    /// Storage options other than the directory and sync policy.
    public var storageOptions: StorageOptions = StorageOptions()
    /// Threads that run blocking storage calls.
    public var storageThreads: Int = 4
    /// Hinted handoff (docs/healing.md): the cluster-wide replay budget towards one returning node (Cassandra's
    /// 1 MiB/s; each node replays at its share, this divided by the other members; 0 = unthrottled), the hint
    /// window (3 h) and the pending bytes kept per target (256 MiB).
    public var hintThrottleBytesPerSecond: Int = 1 << 20
    public var hintWindowMillis: UInt64 = 3 * 3600 * 1000
    public var hintMaxBytesPerTarget: Int = 256 << 20
    /// Anti-entropy repair: background schedule and Merkle depth (docs/healing.md).
    public var repair = RepairConfiguration()
    /// Order a read's first wave by the replicas' outstanding requests and recent latency
    /// (`ReplicaLoadRanking`) instead of the fixed order (this node first, then ring order).
    public var loadAwareReads: Bool = true
    /// Host of the admin HTTP server (`/metrics`, `/health/live`, `/health/ready`); nil: no admin server.
    public var adminHost: String? = nil
    /// Port of the admin HTTP server; 0 picks a free one (`TesseraNodeServer.adminPort`).
    public var adminPort: Int = 0
    /// Bounds on in-flight requests and per-connection rate limits (past them: `overloaded` at once).
    public var admission = AdmissionLimits()
    /// Whether the node keeps Prometheus metrics (its own registry, never the global MetricsSystem).
    public var metricsEnabled: Bool = true
    /// Connection timeouts and memory bounds.
    public var connectionLimits = ConnectionLimits()
    /// The secret peers prove in the handshake (HMAC-SHA256); nil: peers only name a member (local demos).
    public var clusterSecret: [UInt8]?
    /// TLS for client and peer connections (docs/security.md); nil: plain TCP.
    public var tls: NodeTLS?
    /// The token clients must present with CLIENT_AUTH before any other request; nil: none required.
    public var clientToken: ClientToken?
    /// Replica versions more than this far ahead of the node's clock are refused (CockroachDB's max-offset).
    public var maxClockOffsetMillis: UInt64 = HybridLogicalClock.defaultMaxOffsetMillis

    public init(
        nodeID: NodeID,
        listenHost: String,
        listenPort: Int,
        dataDirectory: String,
        members: [MemberAddress],
        replicationFactor: Int,
        virtualNodes: Int = 16,
        clusterName: String = "tessera",
        syncPolicy: SyncPolicy = .group(windowMicros: 100)
    ) {
        self.nodeID = nodeID
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.dataDirectory = dataDirectory
        self.members = members
        self.replicationFactor = replicationFactor
        self.virtualNodes = virtualNodes
        self.clusterName = clusterName
        self.syncPolicy = syncPolicy
    }

    /// This node's entry in `members`.
    public var selfMember: MemberAddress? { members.first { $0.id == nodeID } }

    /// Throws `invalidRequest` saying what is wrong: unknown own id, bad replication factor, bad names.
    public func validate() throws(TesseraError) {
        guard NodeID.isValidName(nodeID.name) else {
            throw TesseraError(
                .invalidRequest,
                "invalid node id '\(nodeID.name)': use 1-64 characters of [A-Za-z0-9._-]"
            )
        }
        guard selfMember != nil else {
            throw TesseraError(
                .invalidRequest,
                "node id '\(nodeID.name)' is not in the member list (\(members.map(\.id.name).joined(separator: ", ")))"
            )
        }
        try NodeID.checkDistinctTags(members.map(\.id))
        guard Set(members.map(\.id)).count == members.count else {
            throw TesseraError(.invalidRequest, "the member list names a node id twice")
        }
        guard replicationFactor >= 1, replicationFactor <= members.count else {
            throw TesseraError(
                .invalidRequest,
                "replication factor \(replicationFactor) must be between 1 and the number of members (\(members.count))"
            )
        }
        guard (1...4096).contains(virtualNodes) else {
            throw TesseraError(.invalidRequest, "virtual nodes \(virtualNodes) must be between 1 and 4096")
        }
        guard NodeID.isValidName(clusterName) else {
            throw TesseraError(
                .invalidRequest,
                "invalid cluster name '\(clusterName)': use 1-64 characters of [A-Za-z0-9._-]"
            )
        }
        guard phiThreshold.isFinite, phiThreshold > 0 else {
            throw TesseraError(.invalidRequest, "phi threshold \(phiThreshold) must be a number above 0 (default 8)")
        }
        guard !dataDirectory.isEmpty else { throw TesseraError(.invalidRequest, "the data directory is empty") }
        try connectionLimits.validate()
        if let clusterSecret, clusterSecret.count < 16 {
            throw TesseraError(.invalidRequest, "the cluster secret has \(clusterSecret.count) bytes; use at least 16")
        }
    }

    /// Parses `always`, `group`, `group:MICROS`, `periodic`, `periodic:MILLIS`, `never`.
    public static func parseSyncPolicy(_ text: String) throws(TesseraError) -> SyncPolicy {
        let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        let argument = parts.count == 2 ? Int(parts[1]) : nil
        if parts.count == 2 && (argument == nil || argument! < 0) {
            throw TesseraError(.invalidRequest, "sync policy '\(text)': the number after ':' must be >= 0")
        }
        switch parts.first ?? "" {
        case "always": return .always
        case "group": return .group(windowMicros: argument ?? 100)
        case "periodic": return .periodic(millis: max(1, argument ?? 100))
        case "never": return .never
        default:
            throw TesseraError(
                .invalidRequest,
                "unknown sync policy '\(text)': use always, group[:MICROS], periodic[:MILLIS] or never"
            )
        }
    }
}
