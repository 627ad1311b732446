public import TesseraCore

/// What the shell must do after feeding an event to a `RepairSession`. Requests to the local node are carried
/// out locally, the others over the wire; every request is answered with the matching `on...` event or
/// `onFailure`.
public enum RepairEffect: Sendable, Equatable {
    /// Ask `node` for one Merkle tree per range (answer: `onTrees`, trees in the same order).
    case requestTrees(node: NodeID, ranges: [TokenRange], depth: Int)
    /// Ask `node` for every key (tombstones included) with its newest cell in these ranges (answer: `onCells`).
    case requestCells(node: NodeID, ranges: [TokenRange])
    /// Have `node` apply these cells (each only if newer than what it holds; answer: `onWritten`).
    case writeCells(node: NodeID, cells: [KeyCell])
    /// Terminal: the session is over.
    case finished(RepairSummary)
}

/// What a repair session found and did.
public struct RepairSummary: Sendable, Equatable {
    /// Token ranges compared, and how many of them differed between replicas.
    public var ranges = 0
    public var rangesDiffering = 0
    /// Leaves (slices) that differed, summed over ranges.
    public var leavesDiffering = 0
    /// Cells received from replicas for differing slices, and cells written to replicas that lacked them.
    public var cellsReceived = 0
    public var cellsWritten = 0
    /// Replicas that failed (error or timeout) and replicas refused by the tombstone rule, with the reason.
    public var failed: [NodeID: String] = [:]
    public var refused: [NodeID: String] = [:]
    /// Wall-clock duration of the session.
    public var durationMillis: UInt64 = 0

    public init() {}

    /// True if every replica took part and is now in sync.
    public var isComplete: Bool { failed.isEmpty && refused.isEmpty }
}
