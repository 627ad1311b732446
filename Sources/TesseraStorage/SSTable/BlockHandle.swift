/// Where a block lives in an SSTable: its offset and the size of its stored contents (without the 5-byte
/// trailer). Encoded as two varints (at most 20 bytes).
struct BlockHandle: Hashable, Sendable {
    var offset: Int
    var size: Int

    /// The most bytes an encoded handle takes.
    static let maxEncodedSize = 20

    func encode(into writer: inout ByteWriter) {
        writer.appendVarint(offset)
        writer.appendVarint(size)
    }

    /// Decodes a handle; nil if truncated or out of range.
    static func decode(from reader: inout ByteReader) -> BlockHandle? {
        guard let offset = reader.readVarintInt(max: Int(Int32.max) * 1024),
            let size = reader.readVarintInt(max: Int(Int32.max))
        else { return nil }
        return BlockHandle(offset: offset, size: size)
    }

    /// Decodes a handle from raw bytes (an index entry's value).
    static func decode(_ p: UnsafePointer<UInt8>, count: Int) -> BlockHandle? {
        let limit = p + count
        var q = p
        var values: (Int, Int) = (0, 0)
        for i in 0..<2 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard q < limit, shift < 63 else { return nil }
                let b = q.pointee
                q += 1
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            guard result <= UInt64(Int.max / 2) else { return nil }
            if i == 0 { values.0 = Int(result) } else { values.1 = Int(result) }
        }
        return BlockHandle(offset: values.0, size: values.1)
    }
}
