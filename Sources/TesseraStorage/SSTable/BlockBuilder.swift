/// Builds one block: sorted entries with prefix-compressed keys and restart points (LevelDB's layout).
///
/// ```
/// entry*        shared: varint32, nonShared: varint32, valueLength: varint32,
///               key[shared...] (nonShared bytes), value (valueLength bytes)
/// restarts      UInt32 LE offsets of entries whose key is stored whole (shared == 0)
/// numRestarts   UInt32 LE (at least 1: an empty block is [0, 0, 0, 0, 1, 0, 0, 0])
/// ```
/// Every `restartInterval`-th entry is a restart point, so a reader binary-searches the restarts and then
/// scans at most `restartInterval` entries. docs/storage-sstable.md has the byte layout.
struct BlockBuilder {
    let restartInterval: Int
    private(set) var buffer: ByteWriter
    private var restarts: [UInt32] = [0]
    private var counter = 0
    private(set) var entryCount = 0
    private(set) var lastKey: [UInt8] = []

    init(restartInterval: Int, capacity: Int = 4096) {
        precondition(restartInterval >= 1, "restartInterval must be at least 1")
        self.restartInterval = restartInterval
        buffer = ByteWriter(capacity: capacity + capacity / 4)
    }

    var isEmpty: Bool { entryCount == 0 }

    /// The size of the block if it were finished now.
    var estimatedSize: Int { buffer.count + restarts.count * 4 + 4 }

    /// Adds an entry whose value is written by `writeValue` (which must append exactly `valueLength` bytes).
    /// Keys must be strictly increasing.
    @inline(__always)
    mutating func add(key: UnsafeRawBufferPointer, valueLength: Int, writeValue: (inout ByteWriter) -> Void) {
        var shared = 0
        if counter < restartInterval {
            let n = Swift.min(lastKey.count, key.count)
            lastKey.withUnsafeBytes { last in
                while shared < n && last[shared] == key[shared] { shared += 1 }
            }
        } else {
            restarts.append(UInt32(buffer.count))
            counter = 0
        }
        let nonShared = key.count - shared
        buffer.appendVarint(UInt64(shared))
        buffer.appendVarint(UInt64(nonShared))
        buffer.appendVarint(UInt64(valueLength))
        buffer.append(UnsafeRawBufferPointer(rebasing: key[shared...]))
        let before = buffer.count
        writeValue(&buffer)
        precondition(buffer.count - before == valueLength, "value writer wrote the wrong number of bytes")
        lastKey.removeSubrange(shared...)
        lastKey.append(contentsOf: UnsafeRawBufferPointer(rebasing: key[shared...]))
        counter += 1
        entryCount += 1
    }

    /// Adds an entry with a plain value.
    mutating func add(key: [UInt8], value: [UInt8]) {
        key.withUnsafeBytes { k in
            add(key: k, valueLength: value.count) { $0.append(value) }
        }
    }

    /// Appends the restart array; the finished contents are then `buffer.bytes`. Call `reset()` before reuse.
    mutating func finishInPlace() {
        for r in restarts { buffer.appendFixed32(r) }
        buffer.appendFixed32(UInt32(restarts.count))
    }

    /// Finishes the block and returns a copy of its contents (tests and small blocks).
    mutating func finish() -> [UInt8] {
        finishInPlace()
        return buffer.bytes
    }

    /// Empties the builder, keeping its allocations.
    mutating func reset() {
        buffer.removeAll()
        restarts.removeAll(keepingCapacity: true)
        restarts.append(0)
        counter = 0
        entryCount = 0
        lastKey.removeAll(keepingCapacity: true)
    }
}
