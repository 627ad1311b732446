public import TesseraCore

/// A write that a replica missed, kept by another node until the replica is back (hinted handoff).
///
/// The interface agreed with branch cluster-core: the write coordinator emits `.storeHint(Hint)` and the node
/// hands hints to its `HintSink`. `cell` carries the original version, so a replayed hint can never overwrite
/// a newer value on the target.
public struct Hint: Hashable, Sendable {
    /// The home replica that missed the write.
    public var target: NodeID
    public var key: [UInt8]
    /// The value or tombstone with the version the coordinator assigned.
    public var cell: Cell
    /// Wall-clock milliseconds when the hint was created (the hint window counts from here).
    public var createdMillis: UInt64

    public init(target: NodeID, key: [UInt8], cell: Cell, createdMillis: UInt64) {
        self.target = target
        self.key = key
        self.cell = cell
        self.createdMillis = createdMillis
    }

    /// Bytes the hint costs against the replay throttle and the per-target cap: key, value and fixed fields.
    public var byteSize: Int { key.count + (cell.value?.count ?? 0) + Version.encodedSize + 16 }
}

/// A hint as the durable store returns it: with its row id, which orders hints oldest first per target.
public struct StoredHint: Hashable, Sendable {
    public var id: Int64
    public var hint: Hint

    public init(id: Int64, hint: Hint) {
        self.id = id
        self.hint = hint
    }
}
