import TesseraCore

/// A memtable that no longer accepts writes (it waits to be flushed, or is being flushed), shared by readers
/// and the flush thread without a lock.
final class FrozenMemtable: Sendable {
    let table: Memtable
    /// The WAL segment that holds this memtable's writes (deleted once the flush is recorded).
    let logNumber: UInt64

    init(_ table: Memtable, logNumber: UInt64) {
        self.table = table
        self.logNumber = logNumber
    }

    func get(_ key: [UInt8]) -> Cell? { table.get(key) }

    func makeIterator() -> MemtableIterator { MemtableIterator(self) }
}

/// Iterates a frozen memtable in key order.
struct MemtableIterator: StorageIterator {
    private let memtable: FrozenMemtable
    private var node: Int32 = Memtable.nilLink

    init(_ memtable: FrozenMemtable) {
        self.memtable = memtable
    }

    mutating func seekToFirst() throws(StorageError) { node = memtable.table.first }
    mutating func seek(_ key: [UInt8]) throws(StorageError) { node = memtable.table.seek(key) }
    var isValid: Bool { node != Memtable.nilLink }
    var key: [UInt8] { memtable.table.key(at: node) }
    var cell: Cell { memtable.table.cell(at: node) }
    mutating func next() throws(StorageError) { node = memtable.table.next(node) }
}

/// Iterates a sorted array of entries (a copy taken from the mutable memtable under the engine lock).
struct ArrayIterator: StorageIterator {
    private let items: [(key: [UInt8], cell: Cell)]
    private var index: Int

    init(_ items: [(key: [UInt8], cell: Cell)]) {
        self.items = items
        self.index = items.count
    }

    mutating func seekToFirst() throws(StorageError) { index = 0 }
    mutating func seek(_ key: [UInt8]) throws(StorageError) {
        var lo = 0
        var hi = items.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if items[mid].key.lexicographicallyPrecedes(key) { lo = mid + 1 } else { hi = mid }
        }
        index = lo
    }
    var isValid: Bool { index < items.count }
    var key: [UInt8] { items[index].key }
    var cell: Cell { items[index].cell }
    mutating func next() throws(StorageError) { index += 1 }
}
