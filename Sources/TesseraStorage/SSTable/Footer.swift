/// The fixed 64-byte end of every SSTable:
///
/// ```
/// offset  size  field
///  0      8     filter block offset      UInt64 LE  (offset 0 and size 0: no filter)
///  8      8     filter block size        UInt64 LE
/// 16      8     index block offset       UInt64 LE
/// 24      8     index block size         UInt64 LE
/// 32      8     properties block offset  UInt64 LE
/// 40      8     properties block size    UInt64 LE
/// 48      4     format version           UInt32 LE  (1)
/// 52      4     masked CRC32C of bytes 0..<52
/// 56      8     magic                    UInt64 LE  0x54455353_45524131 ("TESSERA1" read big-endian)
/// ```
/// Block sizes exclude the 5-byte trailer that follows every block.
struct Footer: Equatable, Sendable {
    static let size = 64
    static let magic: UInt64 = 0x5445_5353_4552_4131
    static let formatVersion: UInt32 = 1

    var filter: BlockHandle
    var index: BlockHandle
    var properties: BlockHandle

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: Footer.size)
        for h in [filter, index, properties] {
            w.appendFixed64(UInt64(h.offset))
            w.appendFixed64(UInt64(h.size))
        }
        w.appendFixed32(Footer.formatVersion)
        w.appendFixed32(CRC32C.mask(CRC32C.checksum(w.bytes)))
        w.appendFixed64(Footer.magic)
        return w.bytes
    }

    /// Decodes and verifies a footer read from the last 64 bytes of a file of `fileSize` bytes.
    static func decode(_ bytes: [UInt8], fileSize: Int, path: String) throws(StorageError) -> Footer {
        let at = fileSize - Footer.size
        guard bytes.count == Footer.size else {
            throw StorageError.corruption(file: path, offset: at, reason: "footer is \(bytes.count) bytes, expected \(Footer.size)")
        }
        var r = ByteReader(bytes)
        var fields: [UInt64] = []
        for _ in 0..<6 { fields.append(r.readFixed64()!) }
        let version = r.readFixed32()!
        let storedCRC = r.readFixed32()!
        let magic = r.readFixed64()!
        guard magic == Footer.magic else {
            throw StorageError.corruption(
                file: path, offset: at + 56,
                reason: "bad magic number 0x\(String(magic, radix: 16)) (not a Tessera SSTable, or a damaged footer)")
        }
        let actual = CRC32C.mask(bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<52])) })
        guard storedCRC == actual else {
            throw StorageError.corruption(file: path, offset: at + 52, reason: "footer checksum mismatch")
        }
        guard version == Footer.formatVersion else {
            throw StorageError.corruption(file: path, offset: at + 48, reason: "unsupported table format version \(version)")
        }
        var handles: [BlockHandle] = []
        for i in 0..<3 {
            let offset = fields[2 * i]
            let size = fields[2 * i + 1]
            // A block and its trailer must end before the footer.
            guard offset <= UInt64(at), size <= UInt64(at),
                Int(offset) + Int(size) + (size == 0 && offset == 0 ? 0 : TableFormat.trailerSize) <= at
            else {
                throw StorageError.corruption(file: path, offset: at + 16 * i, reason: "block handle \(offset)+\(size) outside the file")
            }
            handles.append(BlockHandle(offset: Int(offset), size: Int(size)))
        }
        return Footer(filter: handles[0], index: handles[1], properties: handles[2])
    }
}
