import TesseraCore

/// One live SSTable: its manifest entry and its open reader. The reader (and its file descriptor) is closed
/// when the last table set referencing it goes away, so a reader that grabbed an older set can finish even
/// after compaction deleted the file (an unlinked file stays readable while open).
final class LiveTable: Sendable {
    let meta: FileMetadata
    let reader: TableReader

    init(meta: FileMetadata, reader: TableReader) {
        self.meta = meta
        self.reader = reader
    }

    deinit { reader.close() }
}

/// An immutable snapshot of the live tables per level. The engine swaps the current set under its lock;
/// readers take a reference and read without the lock.
final class TableSet: Sendable {
    /// L0 newest first; L1+ sorted by smallest key, not overlapping.
    let levels: [[LiveTable]]

    init(levels: [[LiveTable]]) {
        self.levels = levels
    }

    static let empty = TableSet(levels: Array(repeating: [], count: LevelGeometry.levels))

    /// Tables that may hold `key`, L0 first (all overlapping files), then at most one per deeper level.
    func candidates(for key: [UInt8]) -> [LiveTable] {
        var out: [LiveTable] = []
        for t in levels[0] where t.meta.overlaps(key, key) { out.append(t) }
        for level in 1..<levels.count {
            let files = levels[level]
            if files.isEmpty { continue }
            var lo = 0
            var hi = files.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if KeyComparison.less(files[mid].meta.largest, key) { lo = mid + 1 } else { hi = mid }
            }
            if lo < files.count, !KeyComparison.less(key, files[lo].meta.smallest) { out.append(files[lo]) }
        }
        return out
    }

    /// Calls `body` with each table that may hold `key` (as `candidates`, without building an array).
    @inline(__always)
    func forEachCandidate(
        for key: [UInt8], _ body: (LiveTable) throws(StorageError) -> Void
    ) throws(StorageError) {
        for t in levels[0] where t.meta.overlaps(key, key) { try body(t) }
        for level in 1..<levels.count {
            let files = levels[level]
            if files.isEmpty { continue }
            var lo = 0
            var hi = files.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if KeyComparison.less(files[mid].meta.largest, key) { lo = mid + 1 } else { hi = mid }
            }
            if lo < files.count, !KeyComparison.less(key, files[lo].meta.smallest) { try body(files[lo]) }
        }
    }

    /// The set after an edit; `opened` holds readers for the added files.
    func applying(_ edit: VersionEdit, opened: [UInt64: LiveTable]) -> TableSet {
        var levels = self.levels
        for (level, number) in edit.removed {
            levels[level].removeAll { $0.meta.number == number }
        }
        for (level, file) in edit.added {
            if let t = opened[file.number] { levels[level].append(t) }
        }
        levels[0].sort { $0.meta.number > $1.meta.number }
        for l in 1..<levels.count {
            levels[l].sort { $0.meta.smallest.lexicographicallyPrecedes($1.meta.smallest) }
        }
        return TableSet(levels: levels)
    }
}

/// Iterates the tables of one level of L1+ (sorted, not overlapping) as one sequence, opening each table's
/// iterator only when the scan reaches it.
struct LevelIterator: StorageIterator {
    private let tables: [LiveTable]
    private var index: Int
    private var current: TableIterator?

    init(_ tables: [LiveTable]) {
        self.tables = tables
        self.index = tables.count
    }

    var isValid: Bool { current?.isValid ?? false }
    var key: [UInt8] { current!.key }
    var cell: Cell { current!.cell }
    var version: Version { current!.version }

    mutating func seekToFirst() throws(StorageError) {
        index = 0
        current = nil
        try open(seek: nil)
    }

    mutating func seek(_ key: [UInt8]) throws(StorageError) {
        var lo = 0
        var hi = tables.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if KeyComparison.less(tables[mid].meta.largest, key) { lo = mid + 1 } else { hi = mid }
        }
        index = lo
        current = nil
        try open(seek: key)
    }

    mutating func next() throws(StorageError) {
        try current!.next()
        if !current!.isValid {
            index += 1
            try open(seek: nil)
        }
    }

    /// Positions on the first entry at or after `index` (seeking `key` in the first table if given).
    private mutating func open(seek key: [UInt8]?) throws(StorageError) {
        var key = key
        while index < tables.count {
            var it = tables[index].reader.makeIterator()
            if let k = key { try it.seek(k) } else { try it.seekToFirst() }
            key = nil
            if it.isValid {
                current = it
                return
            }
            index += 1
        }
        current = nil
    }
}
