/// A bounds-checked little-endian reader over `[UInt8]`, the counterpart of `ByteWriter`.
///
/// Every read checks the remaining length and returns `nil` when the input is truncated or a varint is
/// malformed, so callers turn bad bytes into `StorageError.corruption` instead of trapping.
struct ByteReader {
    let bytes: [UInt8]
    /// The next byte to read.
    private(set) var offset: Int
    /// One past the last readable byte.
    let limit: Int

    init(_ bytes: [UInt8], offset: Int = 0, limit: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.limit = limit ?? bytes.count
    }

    /// Bytes left to read.
    var remaining: Int { limit - offset }
    var isAtEnd: Bool { offset >= limit }

    mutating func readByte() -> UInt8? {
        guard offset < limit else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readFixed32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        offset += 4
        return UInt32(littleEndian: v)
    }

    mutating func readFixed64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        offset += 8
        return UInt64(littleEndian: v)
    }

    /// Reads an unsigned LEB128 varint of at most 10 bytes.
    mutating func readVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            guard let byte = readByte() else { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    /// Reads a varint that must fit in an `Int` no larger than `max`.
    mutating func readVarintInt(max: Int = Int.max) -> Int? {
        guard let v = readVarint(), v <= UInt64(max) else { return nil }
        return Int(v)
    }

    mutating func readBytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a varint length followed by that many bytes.
    mutating func readLengthPrefixed(max: Int = Int.max) -> [UInt8]? {
        guard let n = readVarintInt(max: max) else { return nil }
        return readBytes(n)
    }
}

/// Decodes a varint at `p` without reading at or past `limit`; returns the value and the position after it,
/// or nil if it is truncated or longer than 10 bytes. The hot-path form used by block parsing.
@inline(__always)
func decodeVarint32(_ p: UnsafePointer<UInt8>, _ limit: UnsafePointer<UInt8>) -> (value: UInt32, next: UnsafePointer<UInt8>)? {
    guard p < limit else { return nil }
    let b0 = p.pointee
    if b0 < 0x80 { return (UInt32(b0), p + 1) }
    var result = UInt32(b0 & 0x7F)
    var shift: UInt32 = 7
    var q = p + 1
    while shift <= 28 {
        guard q < limit else { return nil }
        let b = q.pointee
        q += 1
        result |= UInt32(b & 0x7F) << shift
        if b < 0x80 { return (result, q) }
        shift += 7
    }
    return nil
}
