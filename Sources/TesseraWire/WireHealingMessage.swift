public import TesseraCore

/// The messages of hinted handoff and anti-entropy (docs/wire-protocol.md, "Healing"). They travel inside
/// `WireMessage.healing` so the core message enum stays small; each has its own opcode.
public enum WireHealingMessage: Sendable, Equatable {
    // client -> node, node -> client
    /// HINT_STATS (0x0C): the node's hinted-handoff counters, answered by `hintStatsResult`.
    case hintStats
    case hintStatsResult(WireHintStats)
    /// REPAIR (0x0D): start an anti-entropy repair of this node's ranges (or the given ones), answered at once
    /// by `repairResult` (poll with REPAIR_STATUS).
    case repair(WireRepairRequest)
    /// REPAIR_STATUS (0x0E): the state of the last repair started on this node, answered by `repairStatusResult`.
    case repairStatus
    /// The replies to REPAIR (0x4D) and REPAIR_STATUS (0x4E): the same body.
    case repairResult(WireRepairProgress)
    case repairStatusResult(WireRepairProgress)
    /// DIGEST (0x0F): per token range, the number of keys and a digest of every key and version this node
    /// holds (tombstones included), answered by `digestResult`. No ranges: the whole ring as one.
    case digest(ranges: [WireTokenRange])
    case digestResult([WireRangeDigest])

    // node -> node
    /// MERKLE_TREES (0x88): the replica's Merkle trees of these ranges, answered by `merkleTreesResult`.
    case merkleTrees(depth: UInt8, ranges: [WireTokenRange])
    /// `downtimeMillis`: how long the replica was down before its last start (`UInt64.max`: unknown).
    case merkleTreesResult(downtimeMillis: UInt64, trees: [WireMerkleTree])
    /// RANGE_CELLS (0x89): every key in these ranges with its newest cell, answered by `rangeCellsResult`.
    case rangeCells(ranges: [WireTokenRange])
    case rangeCellsResult([KeyCell])
    /// APPLY_CELLS (0x8A): store each cell if newer than the replica's, answered by `applyCellsResult`.
    case applyCells([KeyCell])
    case applyCellsResult(applied: UInt32)

    /// The opcode this message is sent with.
    public var opcode: WireOpcode {
        switch self {
        case .hintStats: return .hintStats
        case .hintStatsResult: return .hintStatsResult
        case .repair: return .repair
        case .repairStatus: return .repairStatus
        case .repairResult: return .repairResult
        case .repairStatusResult: return .repairStatusResult
        case .digest: return .digest
        case .digestResult: return .digestResult
        case .merkleTrees: return .merkleTrees
        case .merkleTreesResult: return .merkleTreesResult
        case .rangeCells: return .rangeCells
        case .rangeCellsResult: return .rangeCellsResult
        case .applyCells: return .applyCells
        case .applyCellsResult: return .applyCellsResult
        }
    }
}

/// A token range `(start, end]` on the wire (two i64); `start == end` is the whole ring.
public struct WireTokenRange: Sendable, Hashable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }
}

/// One Merkle tree's leaves (hash and entry count per leaf; 2^depth of them).
public struct WireMerkleTree: Sendable, Hashable {
    public var leaves: [UInt64]
    public var counts: [UInt32]

    public init(leaves: [UInt64], counts: [UInt32]) {
        self.leaves = leaves
        self.counts = counts
    }
}

/// Keys, tombstones and a digest of one range on one replica (DIGEST_RESULT).
public struct WireRangeDigest: Sendable, Hashable {
    public var range: WireTokenRange
    public var keys: UInt64
    public var tombstones: UInt64
    /// Wrapping sum of a 64-bit hash of every (key, version): equal digests mean equal content.
    public var digest: UInt64

    public init(range: WireTokenRange, keys: UInt64, tombstones: UInt64, digest: UInt64) {
        self.range = range
        self.keys = keys
        self.tombstones = tombstones
        self.digest = digest
    }
}

/// Hinted-handoff counters of one target (HINT_STATS_RESULT).
public struct WireHintTarget: Sendable, Hashable {
    public var node: String
    public var pendingHints: UInt64
    public var pendingBytes: UInt64
    public var replayed: UInt64
    public var expired: UInt64
    public var dropped: UInt64
    public var failedSends: UInt64
    public var replaying: Bool
    public var up: Bool

    public init(
        node: String, pendingHints: UInt64, pendingBytes: UInt64, replayed: UInt64, expired: UInt64, dropped: UInt64,
        failedSends: UInt64, replaying: Bool, up: Bool
    ) {
        self.node = node
        self.pendingHints = pendingHints
        self.pendingBytes = pendingBytes
        self.replayed = replayed
        self.expired = expired
        self.dropped = dropped
        self.failedSends = failedSends
        self.replaying = replaying
        self.up = up
    }
}

/// A node's hinted-handoff state (HINT_STATS_RESULT).
public struct WireHintStats: Sendable, Hashable {
    public var nodeID: String
    /// Empty when the hint store works; else what is wrong with it (corrupt, disk full, ...).
    public var problem: String
    /// Hints stored since the node started, and the insert transactions that stored them.
    public var stored: UInt64
    public var insertTransactions: UInt64
    /// This node's replay rate towards one target, bytes per second (0: unthrottled), and the hint window.
    public var throttleBytesPerSecond: UInt64
    public var hintWindowMillis: UInt64
    public var targets: [WireHintTarget]

    public init(
        nodeID: String, problem: String, stored: UInt64, insertTransactions: UInt64, throttleBytesPerSecond: UInt64,
        hintWindowMillis: UInt64, targets: [WireHintTarget]
    ) {
        self.nodeID = nodeID
        self.problem = problem
        self.stored = stored
        self.insertTransactions = insertTransactions
        self.throttleBytesPerSecond = throttleBytesPerSecond
        self.hintWindowMillis = hintWindowMillis
        self.targets = targets
    }
}

/// What REPAIR asks for.
public struct WireRepairRequest: Sendable, Hashable {
    /// Ranges to repair (each must be a range this node replicates or a part of one); empty: all of them.
    public var ranges: [WireTokenRange]
    /// Repair replicas even if they were down longer than the tombstone grace period.
    public var force: Bool
    /// Merkle depth (0: the node's default).
    public var depth: UInt8

    public init(ranges: [WireTokenRange] = [], force: Bool = false, depth: UInt8 = 0) {
        self.ranges = ranges
        self.force = force
        self.depth = depth
    }
}

/// A repair session's state (REPAIR_RESULT, REPAIR_STATUS_RESULT).
public struct WireRepairProgress: Sendable, Hashable {
    public enum State: UInt8, Sendable {
        /// No repair was started on this node since it started.
        case none = 0
        case running = 1
        /// Finished; `failed`/`refused` say whether every replica took part.
        case finished = 2
    }

    public var sessionID: UInt64
    public var state: State
    /// trees, cells, writes or finished.
    public var phase: String
    public var ranges: UInt32
    public var rangesDiffering: UInt32
    public var leavesDiffering: UInt32
    public var cellsReceived: UInt64
    public var cellsWritten: UInt64
    public var elapsedMillis: UInt64
    /// "node: reason" for replicas that failed, and for replicas refused by the tombstone rule.
    public var failed: [String]
    public var refused: [String]

    public init(
        sessionID: UInt64, state: State, phase: String, ranges: UInt32, rangesDiffering: UInt32, leavesDiffering: UInt32,
        cellsReceived: UInt64, cellsWritten: UInt64, elapsedMillis: UInt64, failed: [String], refused: [String]
    ) {
        self.sessionID = sessionID
        self.state = state
        self.phase = phase
        self.ranges = ranges
        self.rangesDiffering = rangesDiffering
        self.leavesDiffering = leavesDiffering
        self.cellsReceived = cellsReceived
        self.cellsWritten = cellsWritten
        self.elapsedMillis = elapsedMillis
        self.failed = failed
        self.refused = refused
    }
}
