/// The record framing shared by the write-ahead log and the manifest. Byte layout (docs/storage.md):
///
/// ```
/// offset 0  UInt32 LE  masked CRC32C of bytes 4..<13 (the rest of the header)
/// offset 4  UInt32 LE  payload length
/// offset 8  UInt8      record type (1 = full record)
/// offset 9  UInt32 LE  masked CRC32C of the payload
/// offset 13 payload
/// ```
///
/// The header has its own checksum so that a flipped bit in a length can never make the reader skip good
/// records as if they were a torn tail. DO NOT CHANGE: on disk.
enum LogFormat {
    /// Header size in bytes. DO NOT CHANGE: on disk.
    static let headerSize = 13
    /// Type of a record holding one whole payload. DO NOT CHANGE: on disk.
    static let fullRecord: UInt8 = 1
    /// The largest payload accepted (a write batch of many 16 MiB values is split by the caller).
    static let maxPayload = Int(UInt32.max) - headerSize

    /// Appends the framed record for `payload` to `out`.
    static func appendRecord(_ payload: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        precondition(payload.count <= maxPayload, "log record too large")
        let payloadCRC = CRC32C.mask(CRC32C.checksum(payload))
        withUnsafeTemporaryAllocation(byteCount: headerSize, alignment: 1) { p in
            p.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: 4, as: UInt32.self)
            p.storeBytes(of: fullRecord, toByteOffset: 8, as: UInt8.self)
            p.storeBytes(of: payloadCRC.littleEndian, toByteOffset: 9, as: UInt32.self)
            let headerCRC = CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[4..<headerSize])))
            p.storeBytes(of: headerCRC.littleEndian, toByteOffset: 0, as: UInt32.self)
            out.append(contentsOf: UnsafeRawBufferPointer(p))
        }
        out.append(contentsOf: payload)
    }

    /// Appends the framed record for an array payload.
    static func appendRecord(_ payload: [UInt8], to out: inout [UInt8]) {
        payload.withUnsafeBytes { appendRecord($0, to: &out) }
    }
}
