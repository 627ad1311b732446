/// What a key holds at one version: a value or a tombstone (a delete).
///
/// Storage keeps, and replicas return, only the newest cell of a key; reconciliation picks the cell with the
/// highest `version`.
public struct Cell: Hashable, Sendable {
    /// The version of the write that produced this cell.
    public var version: Version
    /// The value, or `nil` for a tombstone.
    public var value: [UInt8]?

    @inlinable
    public init(version: Version, value: [UInt8]?) {
        self.version = version
        self.value = value
    }

    /// A tombstone: a delete at `version`.
    @inlinable
    public static func tombstone(_ version: Version) -> Cell { Cell(version: version, value: nil) }

    /// True if this cell records a delete.
    @inlinable
    public var isTombstone: Bool { value == nil }

    /// The newer of two cells (the later argument wins a tie, which only happens for identical writes).
    @inlinable
    public static func newest(_ a: Cell?, _ b: Cell?) -> Cell? {
        guard let a else { return b }
        guard let b else { return a }
        return a.version > b.version ? a : b
    }
}
