/// A key with its newest cell, as replicas stream them during repair and hint replay.
public struct KeyCell: Hashable, Sendable {
    public var key: [UInt8]
    public var cell: Cell

    @inlinable
    public init(key: [UInt8], cell: Cell) {
        self.key = key
        self.cell = cell
    }
}
