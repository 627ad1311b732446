public import TesseraCore

/// Every message of the protocol, for clients and node-to-node traffic alike. Byte layouts:
/// docs/wire-protocol.md.
public enum WireMessage: Sendable, Equatable {
    // client -> node
    /// Read `key`, answered by `getResult` or `error`.
    case get(key: [UInt8], consistency: ConsistencyLevel, timeoutMillis: UInt32, quorum: QuorumMode = .strict)
    /// Write `value` under `key`, answered by `writeResult` or `error`.
    case put(
        key: [UInt8], value: [UInt8], consistency: ConsistencyLevel, timeoutMillis: UInt32, quorum: QuorumMode = .strict
    )
    /// Delete `key` (write a tombstone), answered by `writeResult` or `error`.
    case delete(key: [UInt8], consistency: ConsistencyLevel, timeoutMillis: UInt32, quorum: QuorumMode = .strict)
    /// A put (`value` non-nil) or delete that the client may send again: `writeID` (non-zero) is the same in
    /// every attempt, `resend` is true after the first, `version` is the version of an earlier attempt when the
    /// client knows it. The coordinator gives every attempt the same version (docs/consistency.md, "Idempotent
    /// retries"). Answered by `writeResult` or `error`.
    case idempotentWrite(
        key: [UInt8], value: [UInt8]?, consistency: ConsistencyLevel, timeoutMillis: UInt32, quorum: QuorumMode,
        writeID: UInt64, resend: Bool, version: Version?
    )
    /// Ask for the cluster's members and tokens, answered by `ringResult`.
    case ring
    /// Ask for the node's counters, answered by `statusResult`.
    case status
    /// Liveness check, answered by `pong`.
    case ping
    /// Ask for the node's `limit` most requested read and write keys, answered by `hotKeysResult`.
    case hotKeys(limit: UInt16)
    /// Authenticate this connection with the client token (before any other request when the node requires
    /// one), answered by `clientWelcome`, or by `error` (`unauthorized`... see docs/security.md) and a close.
    case clientAuth(token: [UInt8])

    // node -> client
    /// The newest cell of the key among the replicas that answered: `nil` if none holds the key, a tombstone
    /// if it was deleted.
    case getResult(Cell?)
    /// The version the coordinator assigned to the write and how many replicas acknowledged it.
    case writeResult(version: Version, acks: Int)
    case ringResult(WireRing)
    case statusResult(WireStatus)
    case pong
    case hotKeysResult(WireHotKeys)
    /// The token was accepted: the connection may send any client request.
    case clientWelcome
    /// The request failed; `code` is a stable `TesseraError.Code`.
    case error(TesseraError)

    // node -> node
    /// Store `cell` for `key` if it is newer than what the replica holds; answered by `replicaAck`.
    case replicaWrite(key: [UInt8], cell: Cell)
    case replicaAck
    /// Return the replica's newest cell for `key`; answered by `replicaReadResult`.
    case replicaRead(key: [UInt8])
    case replicaReadResult(Cell?)
    /// Return the version of the replica's newest cell for `key` (nil: none), not its value; answered by
    /// `replicaVersionResult`. The LINEARIZABLE version phase needs nothing more, and the small reply travels on
    /// the peer link's control lane with the writes instead of the bulk lane of REPLICA_READ.
    case replicaReadVersion(key: [UInt8])
    case replicaVersionResult(Version?)
    /// Sloppy quorum: keep `cell` of `key` as a hint for home replica `home` (this node stands in for it);
    /// answered by `replicaHintedAck` once the hint is durable, or `error` if this node keeps no hints.
    case replicaHintedWrite(key: [UInt8], cell: Cell, home: String)
    case replicaHintedAck

    /// Hinted handoff and anti-entropy messages (their own opcodes, see `WireHealingMessage`).
    case healing(WireHealingMessage)

    // peer handshake (docs/wire-protocol.md, "Peer handshake")
    /// The connecting node names its cluster and node id and sends a fresh 32-byte nonce.
    case peerHello(clusterName: String, nodeID: String, nonce: [UInt8])
    /// The accepting node's id, the authentication mode, its own nonce, and (mode 1) its proof over both
    /// nonces, so the connecting node knows it talks to a member too.
    case peerChallenge(nodeID: String, mode: PeerAuthMode, nonce: [UInt8], proof: [UInt8])
    /// The connecting node's proof (empty in mode 0).
    case peerAuth(proof: [UInt8])
    /// The connection is now a peer connection.
    case peerWelcome

    /// The opcode this message is sent with.
    public var opcode: WireOpcode {
        switch self {
        case .get: return .get
        case .put: return .put
        case .delete: return .delete
        case .idempotentWrite: return .idempotentWrite
        case .ring: return .ring
        case .status: return .status
        case .ping: return .ping
        case .hotKeys: return .hotKeys
        case .hotKeysResult: return .hotKeysResult
        case .clientAuth: return .clientAuth
        case .clientWelcome: return .clientWelcome
        case .getResult: return .getResult
        case .writeResult: return .writeResult
        case .ringResult: return .ringResult
        case .statusResult: return .statusResult
        case .pong: return .pong
        case .error: return .error
        case .replicaWrite: return .replicaWrite
        case .replicaAck: return .replicaAck
        case .replicaRead: return .replicaRead
        case .replicaReadResult: return .replicaReadResult
        case .replicaReadVersion: return .replicaReadVersion
        case .replicaVersionResult: return .replicaVersionResult
        case .replicaHintedWrite: return .replicaHintedWrite
        case .replicaHintedAck: return .replicaHintedAck
        case .healing(let message): return message.opcode
        case .peerHello: return .peerHello
        case .peerChallenge: return .peerChallenge
        case .peerAuth: return .peerAuth
        case .peerWelcome: return .peerWelcome
        }
    }
}

/// A cluster member as RING_RESULT describes it.
public struct WireMember: Sendable, Hashable {
    /// The node id (`--node-id`).
    public var nodeID: String
    /// The address clients and peers connect to.
    public var host: String
    public var port: Int
    /// The member's tokens on the ring (Murmur3 tokens, signed 64-bit), ascending.
    public var tokens: [Int64]

    public init(nodeID: String, host: String, port: Int, tokens: [Int64]) {
        self.nodeID = nodeID
        self.host = host
        self.port = port
        self.tokens = tokens
    }
}

/// The cluster as one node sees it (RING_RESULT): enough for a client to route requests to replicas.
public struct WireRing: Sendable, Hashable {
    public var clusterName: String
    public var replicationFactor: Int
    /// Virtual nodes (tokens) per member.
    public var virtualNodes: Int
    /// Members in member-list order.
    public var members: [WireMember]

    public init(clusterName: String, replicationFactor: Int, virtualNodes: Int, members: [WireMember]) {
        self.clusterName = clusterName
        self.replicationFactor = replicationFactor
        self.virtualNodes = virtualNodes
        self.members = members
    }
}

/// A node's counters (STATUS_RESULT).
public struct WireStatus: Sendable, Hashable {
    public var nodeID: String
    public var clusterName: String
    /// Milliseconds since the node started serving.
    public var uptimeMillis: UInt64
    /// Peers the failure detector considers up / down (node ids, not counting this node).
    public var peersUp: [String]
    public var peersDown: [String]
    /// Storage's estimate of live keys and its bytes on disk.
    public var keysEstimate: UInt64
    public var diskBytes: UInt64
    /// Client requests this node coordinated, by kind, and how many of them failed.
    public var gets: UInt64
    public var puts: UInt64
    public var deletes: UInt64
    public var failedRequests: UInt64
    /// Replica requests this node served for coordinators (including itself).
    public var replicaWrites: UInt64
    public var replicaReads: UInt64
    /// Further named counters (for example `readRepairs`); later versions may add names.
    public var counters: [WireCounter]

    public init(
        nodeID: String,
        clusterName: String,
        uptimeMillis: UInt64,
        peersUp: [String],
        peersDown: [String],
        keysEstimate: UInt64,
        diskBytes: UInt64,
        gets: UInt64,
        puts: UInt64,
        deletes: UInt64,
        failedRequests: UInt64,
        replicaWrites: UInt64,
        replicaReads: UInt64,
        counters: [WireCounter] = []
    ) {
        self.nodeID = nodeID
        self.clusterName = clusterName
        self.uptimeMillis = uptimeMillis
        self.peersUp = peersUp
        self.peersDown = peersDown
        self.keysEstimate = keysEstimate
        self.diskBytes = diskBytes
        self.gets = gets
        self.puts = puts
        self.deletes = deletes
        self.failedRequests = failedRequests
        self.replicaWrites = replicaWrites
        self.replicaReads = replicaReads
        self.counters = counters
    }
}

/// A named counter in STATUS_RESULT.
public struct WireCounter: Sendable, Hashable {
    public var name: String
    public var value: UInt64

    public init(name: String, value: UInt64) {
        self.name = name
        self.value = value
    }
}

/// How a peer proves it is a member (PEER_CHALLENGE's mode byte).
public enum PeerAuthMode: UInt8, Sendable, Hashable {
    /// No cluster secret configured: the peer only names a configured member id (local demos).
    case memberID = 0
    /// HMAC-SHA256 under the cluster secret over both nonces (see `PeerHandshake`).
    case hmacSHA256 = 1
}
