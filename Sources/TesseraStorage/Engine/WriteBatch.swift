public import TesseraCore

/// A group of puts and deletes applied atomically: after a crash either all of them are present or none.
///
/// The batch is kept in its log encoding (`rep`), so writing it to the WAL is a copy, not a re-encoding:
///
/// ```
/// UInt32 LE count
/// count times: UInt8 kind (1 = value, 0 = tombstone) | UInt32 LE key length | key bytes
///              | UInt64 LE version timestamp | UInt32 LE version node
///              | (kind 1 only) UInt32 LE value length | value bytes
/// ```
/// DO NOT CHANGE: on disk (WAL payload).
public struct WriteBatch: Sendable {
    @usableFromInline var rep: [UInt8]
    /// Number of puts and deletes in the batch.
    public private(set) var count: Int = 0
    /// The first invalid entry's description (a key or value over the limits); `write` throws it.
    @usableFromInline var invalid: String?
    /// Key and value bytes in the batch (for write-amplification statistics).
    public private(set) var userBytes: Int = 0

    /// An empty batch.
    public init() {
        rep = [0, 0, 0, 0]
    }

    /// An empty batch with room for about `bytes` of encoded entries (`encodedSize` of each), so that building
    /// a large batch does not reallocate and copy it as it grows.
    public init(reservingCapacity bytes: Int) {
        rep = [0, 0, 0, 0]
        rep.reserveCapacity(4 + max(0, bytes))
    }

    /// Bytes an entry of `keyCount` and `valueCount` (nil: a tombstone) adds to the encoding.
    public static func encodedSize(keyCount: Int, valueCount: Int?) -> Int {
        1 + 4 + keyCount + 12 + (valueCount.map { 4 + $0 } ?? 0)
    }

    /// Adds a put of `value` under `key` at `version`.
    public mutating func put(_ key: [UInt8], _ value: [UInt8], version: Version) {
        add(key, value, version)
    }

    /// Adds a delete (a tombstone) of `key` at `version`.
    public mutating func delete(_ key: [UInt8], version: Version) {
        add(key, nil, version)
    }

    /// Adds a cell (a value or a tombstone).
    public mutating func apply(_ key: [UInt8], _ cell: Cell) {
        add(key, cell.value, cell.version)
    }

    mutating func add(_ key: [UInt8], _ value: [UInt8]?, _ version: Version) {
        if invalid == nil {
            if key.isEmpty {
                invalid = "key is empty"
            } else if key.count > Limits.maxKeySize {
                invalid = "key is \(key.count) bytes; the limit is \(Limits.maxKeySize) bytes (64 KiB)"
            } else if let value, value.count > Limits.maxValueSize {
                invalid = "value is \(value.count) bytes; the limit is \(Limits.maxValueSize) bytes (16 MiB)"
            }
        }
        rep.append(value == nil ? 0 : 1)
        appendU32(UInt32(truncatingIfNeeded: key.count))
        rep.append(contentsOf: key)
        appendU64(version.timestamp.rawValue)
        appendU32(version.node)
        if let value {
            appendU32(UInt32(truncatingIfNeeded: value.count))
            rep.append(contentsOf: value)
        }
        count += 1
        userBytes += key.count + (value?.count ?? 0)
        rep.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(truncatingIfNeeded: count).littleEndian, as: UInt32.self) }
    }

    private mutating func appendU32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { rep.append(contentsOf: $0) }
    }

    private mutating func appendU64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { rep.append(contentsOf: $0) }
    }

    /// Calls `body(key, value or nil, version)` for each entry of an encoded batch, checking the encoding.
    /// `path`/`offset` name the log record for corruption errors.
    static func forEach(
        encoded raw: UnsafeRawBufferPointer,
        path: String,
        offset: Int,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?, Version) throws(StorageError) -> Void
    ) throws(StorageError) {
        func bad(_ reason: String) -> StorageError {
            .corruption(file: path, offset: offset, reason: "bad write batch: \(reason)")
        }
        guard raw.count >= 4 else { throw bad("shorter than its header") }
        let count = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        var p = 4
        for _ in 0..<count {
            guard raw.count - p >= 5 else { throw bad("truncated entry") }
            let kind = raw[p]
            let keyLength = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p + 1, as: UInt32.self)))
            p += 5
            guard kind <= 1, keyLength <= raw.count - p, raw.count - p - keyLength >= 12 else {
                throw bad("truncated key")
            }
            let key = UnsafeRawBufferPointer(rebasing: raw[p..<(p + keyLength)])
            p += keyLength
            let ts = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt64.self))
            let node = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p + 8, as: UInt32.self))
            p += 12
            let version = Version(timestamp: HLCTimestamp(rawValue: ts), node: node)
            if kind == 1 {
                guard raw.count - p >= 4 else { throw bad("truncated value length") }
                let valueLength = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt32.self)))
                p += 4
                guard valueLength <= raw.count - p else { throw bad("truncated value") }
                try body(key, UnsafeRawBufferPointer(rebasing: raw[p..<(p + valueLength)]), version)
                p += valueLength
            } else {
                try body(key, nil, version)
            }
        }
        guard p == raw.count else { throw bad("\(raw.count - p) trailing bytes") }
    }
}
