public import TesseraCore

/// Ordered iteration over cells by key (byte-wise order): memtables, SSTables and merges of them.
///
/// After `seekToFirst` or `seek` the iterator is positioned on an entry or invalid (exhausted). `key` and
/// `cell` may only be read while `isValid`. Errors (corrupt blocks, I/O) are thrown by the positioning calls.
public protocol StorageIterator {
    /// Positions on the first entry.
    mutating func seekToFirst() throws(StorageError)
    /// Positions on the first entry whose key is >= `key`.
    mutating func seek(_ key: [UInt8]) throws(StorageError)
    /// True if positioned on an entry.
    var isValid: Bool { get }
    /// The current key.
    var key: [UInt8] { get }
    /// The current cell (value or tombstone, with its version).
    var cell: Cell { get }
    /// Moves to the next entry (invalid after the last one).
    mutating func next() throws(StorageError)
    /// The current cell's version (a default reads `cell.version`; tables read it without copying the value).
    var version: Version { get }
}

extension StorageIterator {
    public var version: Version { cell.version }
}
