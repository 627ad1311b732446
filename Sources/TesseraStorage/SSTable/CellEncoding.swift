import TesseraCore

/// How a cell is stored as the value part of a data-block entry:
///
/// ```
/// timestamp  UInt64 LE   (Version.timestamp.rawValue)
/// node       UInt32 LE   (Version.node)
/// kind       UInt8       0 = value, 1 = tombstone
/// value      the rest    (empty for a tombstone)
/// ```
enum CellEncoding {
    /// Bytes before the value: version (12) + kind (1).
    static let headerSize = Version.encodedSize + 1
    static let kindValue: UInt8 = 0
    static let kindTombstone: UInt8 = 1

    /// Appends the encoded cell.
    @inline(__always)
    static func encode(_ cell: Cell, into writer: inout ByteWriter) {
        writer.appendFixed64(cell.version.timestamp.rawValue)
        writer.appendFixed32(cell.version.node)
        if let value = cell.value {
            writer.append(kindValue)
            writer.append(value)
        } else {
            writer.append(kindTombstone)
        }
    }

    /// Encoded size of a cell.
    @inline(__always)
    static func encodedSize(_ cell: Cell) -> Int { headerSize + (cell.value?.count ?? 0) }

    /// Decodes a cell from `count` bytes at `p`; nil if malformed.
    @inline(__always)
    static func decode(_ p: UnsafeRawPointer, count: Int) -> Cell? {
        guard count >= headerSize else { return nil }
        let ts = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        let node = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let version = Version(timestamp: HLCTimestamp(rawValue: ts), node: node)
        switch p.load(fromByteOffset: 12, as: UInt8.self) {
        case kindValue:
            let n = count - headerSize
            let value = [UInt8](unsafeUninitializedCapacity: n) { buf, initialized in
                if n > 0 { buf.baseAddress!.initialize(from: (p + headerSize).assumingMemoryBound(to: UInt8.self), count: n) }
                initialized = n
            }
            return Cell(version: version, value: value)
        case kindTombstone:
            return count == headerSize ? Cell(version: version, value: nil) : nil
        default:
            return nil
        }
    }

    /// Reads only the version (for merges that compare before decoding); nil if malformed.
    @inline(__always)
    static func decodeVersion(_ p: UnsafeRawPointer, count: Int) -> Version? {
        guard count >= headerSize else { return nil }
        let ts = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        let node = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        return Version(timestamp: HLCTimestamp(rawValue: ts), node: node)
    }
}
