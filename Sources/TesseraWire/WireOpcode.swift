/// The opcode byte of a frame. DO NOT CHANGE existing values: they are on the wire (docs/wire-protocol.md).
///
/// Ranges: 0x01-0x3F client requests, 0x40-0x7F replies to clients (a reply's opcode is its request's
/// opcode + 0x40, ERROR is 0x7F), 0x80-0xBF node-to-node requests, 0xC0-0xFF node-to-node replies
/// (request + 0x40). Request slots per subsystem: 0x83-0x87 cluster core, 0x88-0x8F hinted handoff and
/// anti-entropy, 0x90-0x93 the peer handshake (PEER_HELLO, PEER_AUTH); client slot 0x14 is CLIENT_AUTH, 0x1C-0x1F
/// idempotent retries.
public enum WireOpcode: UInt8, Sendable, CaseIterable {
    case get = 0x01
    case put = 0x02
    case delete = 0x03
    case ring = 0x04
    case status = 0x05
    case ping = 0x06
    /// Healing (branch hints-ae): hinted handoff and anti-entropy, see `WireHealingMessage`.
    case hintStats = 0x0C
    case repair = 0x0D
    case repairStatus = 0x0E
    case digest = 0x0F
    /// The node's hot keys (slot 0x10-0x13 of branch ycsb).
    case hotKeys = 0x10
    /// A put or delete the client may send more than once, with its write id (slot 0x1C-0x1F of branch
    /// retries); answered by WRITE_RESULT or ERROR like PUT.
    case idempotentWrite = 0x1C
    /// Client authentication by token (slots 0x14-0x17 of branch tls): the first request of a connection to a
    /// node that requires a token (docs/security.md). Answered by CLIENT_WELCOME or ERROR (then closed).
    case clientAuth = 0x14

    case getResult = 0x41
    /// The reply to PUT and DELETE.
    case writeResult = 0x42
    case ringResult = 0x44
    case statusResult = 0x45
    case pong = 0x46
    case hintStatsResult = 0x4C
    case repairResult = 0x4D
    case repairStatusResult = 0x4E
    case digestResult = 0x4F
    case hotKeysResult = 0x50
    case clientWelcome = 0x54
    case error = 0x7F

    case replicaWrite = 0x81
    case replicaRead = 0x82
    /// The version only of the replica's newest cell (the LINEARIZABLE version phase).
    case replicaReadVersion = 0x84
    case merkleTrees = 0x88
    case rangeCells = 0x89
    case applyCells = 0x8A

    /// Peer handshake, step 1 (node -> node): who I am, my nonce. Answered by PEER_CHALLENGE.
    case peerHello = 0x90
    /// Peer handshake, step 2: the proof over the server's nonce. Answered by PEER_WELCOME or ERROR.
    case peerAuth = 0x91

    case replicaAck = 0xC1
    case replicaReadResult = 0xC2
    /// Sloppy quorum: a write kept as a hint by a stand-in (cluster-core's peer slots 0x83-0x87).
    case replicaHintedWrite = 0x83
    case replicaHintedAck = 0xC3
    case replicaVersionResult = 0xC4
    case merkleTreesResult = 0xC8
    case rangeCellsResult = 0xC9
    case applyCellsResult = 0xCA
    case peerChallenge = 0xD0
    case peerWelcome = 0xD1

    /// True for opcodes only an authenticated peer connection may send (REPLICA_*; 0x80-0xBF except the
    /// handshake itself).
    public var isPeerOnlyRequest: Bool {
        switch self {
        case .replicaWrite, .replicaRead, .replicaReadVersion: return true
        default: return rawValue >= 0x80 && rawValue < 0xC0 && self != .peerHello && self != .peerAuth
        }
    }

    /// True for reply opcodes (0x40-0x7F and 0xC0-0xFF): a node answers them, sent as requests, with ERROR
    /// invalidRequest.
    public var isReply: Bool { rawValue & 0x40 != 0 }
}
