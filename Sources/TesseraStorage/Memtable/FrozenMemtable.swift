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
