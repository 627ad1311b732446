/// An append-only little-endian byte buffer with LEB128 varints: how every on-disk structure is encoded.
///
/// A plain value type around `[UInt8]`; keep it uniquely owned while appending (see style.md on copy-on-write).
struct ByteWriter {
    /// The bytes written so far.
    var bytes: [UInt8]

    init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written so far.
    @inline(__always) var count: Int { bytes.count }

    @inline(__always) mutating func append(_ byte: UInt8) { bytes.append(byte) }

    @inline(__always) mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    @inline(__always) mutating func append(_ other: ArraySlice<UInt8>) { bytes.append(contentsOf: other) }

    @inline(__always) mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    /// Appends a UInt32, little-endian.
    @inline(__always) mutating func appendFixed32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a UInt64, little-endian.
    @inline(__always) mutating func appendFixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends an unsigned LEB128 varint (1 to 10 bytes).
    @inline(__always) mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Appends a varint of `value` (which must not be negative).
    @inline(__always) mutating func appendVarint(_ value: Int) {
        precondition(value >= 0, "varint of a negative number")
        appendVarint(UInt64(value))
    }

    /// Appends a varint length followed by the bytes.
    mutating func appendLengthPrefixed(_ other: [UInt8]) {
        appendVarint(other.count)
        bytes.append(contentsOf: other)
    }

    /// Number of bytes `appendVarint(value)` writes.
    @inline(__always) static func varintSize(_ value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 {
            v >>= 7
            n += 1
        }
        return n
    }

    /// Removes everything, keeping the allocation.
    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
}
