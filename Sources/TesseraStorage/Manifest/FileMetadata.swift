/// What the manifest records about one live SSTable.
struct FileMetadata: Sendable, Hashable {
    var number: UInt64
    var size: Int
    var smallest: [UInt8]
    var largest: [UInt8]
    var entryCount: Int

    /// True if the table's key range intersects [start, end] (both inclusive; nil = unbounded).
    func overlaps(_ start: [UInt8]?, _ end: [UInt8]?) -> Bool {
        if let start, KeyComparison.less(largest, start) { return false }
        if let end, KeyComparison.less(end, smallest) { return false }
        return true
    }
}
