public import TesseraCore

/// A write kept for a home replica that did not get it: replayed to `target` when it is up again. Replay sends
/// `cell` with its original version, so a hint can never overwrite a newer value.
public struct Hint: Sendable, Hashable {
    /// The home replica the write is for.
    public var target: NodeID
    public var key: [UInt8]
    /// The value or tombstone, with the version the coordinator assigned.
    public var cell: Cell
    /// Wall-clock milliseconds when the hint was made (for the hint window).
    public var createdMillis: UInt64

    public init(target: NodeID, key: [UInt8], cell: Cell, createdMillis: UInt64) {
        self.target = target
        self.key = key
        self.cell = cell
        self.createdMillis = createdMillis
    }
}
