public import TesseraCore

/// Iterates one SSTable in key order: a two-level walk over the index block and the data blocks it names.
/// Blocks come from the reader (cache, CRC check, decompression); a damaged block makes the positioning call
/// throw `StorageError.corruption` rather than yield entries.
public struct TableIterator: StorageIterator {
    private let table: TableReader
    private var indexIter: BlockIterator
    /// The current data block's iterator; meaningful only while `hasData` (kept non-optional so reading the
    /// key or value does not copy it out of an optional).
    private var dataIter: BlockIterator
    private var hasData = false
    private var dataOffset = 0
    private let fillCache: Bool

    init(table: TableReader, fillCache: Bool) {
        self.table = table
        self.fillCache = fillCache
        indexIter = BlockIterator(table.index)
        dataIter = BlockIterator(table.index)
    }

    public var isValid: Bool { hasData && dataIter.isValid }

    public var key: [UInt8] {
        precondition(isValid, "key of an invalid iterator")
        return dataIter.key
    }

    public var cell: Cell {
        precondition(isValid, "cell of an invalid iterator")
        // The entry was validated when the iterator moved onto it.
        return dataIter.withValue { CellEncoding.decode($0.baseAddress!, count: $0.count)! }
    }

    public var version: Version {
        precondition(isValid, "version of an invalid iterator")
        return dataIter.withValue { CellEncoding.decodeVersion($0.baseAddress!, count: $0.count)! }
    }

    public mutating func seekToFirst() throws(StorageError) {
        do { try indexIter.seekToFirst() } catch { throw table.indexCorruption(error) }
        try loadDataBlock()
        if hasData {
            do { try dataIter.seekToFirst() } catch { throw dataCorruption(error) }
        }
        try skipExhaustedBlocks()
    }

    public mutating func seek(_ key: [UInt8]) throws(StorageError) {
        do { try indexIter.seek(key) } catch { throw table.indexCorruption(error) }
        try loadDataBlock()
        if hasData {
            do { try dataIter.seek(key) } catch { throw dataCorruption(error) }
        }
        try skipExhaustedBlocks()
    }

    public mutating func next() throws(StorageError) {
        precondition(isValid, "next() on an invalid iterator")
        do { try dataIter.next() } catch { throw dataCorruption(error) }
        try skipExhaustedBlocks()
    }

    /// Loads the data block named by the current index entry (or clears it when the index is exhausted).
    private mutating func loadDataBlock() throws(StorageError) {
        guard indexIter.isValid else {
            hasData = false
            return
        }
        hasData = false
        let handle = try table.handleAt(indexIter)
        dataOffset = handle.offset
        dataIter = BlockIterator(try table.dataBlock(handle, fillCache: fillCache))
        hasData = true
    }

    /// Moves past data blocks that have no more entries, then validates the entry it stops on.
    /// (Works on `dataIter` in place: binding it with `if let` would copy the block iterator per entry.)
    private mutating func skipExhaustedBlocks() throws(StorageError) {
        while hasData && !dataIter.isValid {
            do { try indexIter.next() } catch { throw table.indexCorruption(error) }
            try loadDataBlock()
            if hasData {
                do { try dataIter.seekToFirst() } catch { throw dataCorruption(error) }
            }
        }
        guard hasData else { return }
        let ok = dataIter.withValue { raw -> Bool in
            guard raw.count >= CellEncoding.headerSize else { return false }
            let kind = raw[CellEncoding.headerSize - 1]
            return kind == CellEncoding.kindValue || (kind == CellEncoding.kindTombstone && raw.count == CellEncoding.headerSize)
        }
        guard ok else {
            hasData = false
            throw StorageError.corruption(file: table.path, offset: dataOffset, reason: "malformed cell in a data block")
        }
    }

    private func dataCorruption(_ error: BlockCorruption) -> StorageError {
        StorageError.corruption(file: table.path, offset: dataOffset, reason: "data block: \(error.reason) at \(error.offset)")
    }
}
