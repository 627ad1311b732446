/// Constants and the block trailer shared by the SSTable writer and reader.
///
/// Every stored block (data, filter, index, properties) is followed by a 5-byte trailer, like LevelDB's:
/// ```
/// type  UInt8      0 = stored as is, 1 = LZ4
/// crc   UInt32 LE  masked CRC32C of the stored contents followed by the type byte
/// ```
/// An LZ4 block's stored contents are `varint32 uncompressedSize` + the LZ4 block-format bytes.
enum TableFormat {
    static let trailerSize = 5
    static let typeNone: UInt8 = 0
    static let typeLZ4: UInt8 = 1
    /// The largest uncompressed block a reader accepts (a block holds at least one entry, which can be a
    /// 64 KiB key and a 16 MiB value).
    static let maxBlockSize = 64 << 20

    /// The masked CRC32C stored in a trailer.
    @inline(__always)
    static func trailerChecksum(contents: UnsafeRawBufferPointer, type: UInt8) -> UInt32 {
        var t = type
        let crc = withUnsafeBytes(of: &t) { CRC32C.update(CRC32C.checksum(contents), $0) }
        return CRC32C.mask(crc)
    }
}
