/// Reads the records of one log file (a WAL segment or a manifest) written by `LogWriter`.
///
/// A damaged tail that a crash can leave (an incomplete header, a record cut short, a last record whose payload
/// does not match its checksum, or a run of zero bytes) ends the log: `Result.tornTailAt` says where, and the
/// caller truncates the file there. Damage followed by more data is corruption: it throws
/// `StorageError.corruption` naming the file and the offset of the bad record, never skipping it.
///
/// `strict` (used for the manifest, whose every record is synced before anything depends on it) treats a
/// complete last record with a bad checksum as corruption too: only a record cut short is a torn tail.
enum LogReader {
    struct Result {
        /// Number of good records read.
        var records: Int
        /// Offset just past the last good record.
        var validLength: Int
        /// If the log ended with a torn record, the offset where it started (== validLength).
        var tornTailAt: Int?
        /// The file's size as read.
        var fileSize: Int
    }

    /// Reads the whole file and calls `body` with each good record's payload, in order.
    static func read(
        fileSystem: any FileSystem,
        path: String,
        strict: Bool = false,
        _ body: (UnsafeRawBufferPointer) throws(StorageError) -> Void
    ) throws(StorageError) -> Result {
        let file = try fileSystem.openRandomAccess(path)
        defer { file.close() }
        let bytes = try file.read(at: 0, count: file.size, path: path)
        return try parse(bytes, path: path, strict: strict, body)
    }

    /// Parses an in-memory log image (see `read`).
    static func parse(
        _ bytes: [UInt8],
        path: String,
        strict: Bool = false,
        _ body: (UnsafeRawBufferPointer) throws(StorageError) -> Void
    ) throws(StorageError) -> Result {
        var failure: StorageError?
        let result = bytes.withUnsafeBytes { raw -> Result in
            do throws(StorageError) {
                return try parse(raw, path: path, strict: strict, body)
            } catch {
                failure = error
                return Result(records: 0, validLength: 0, tornTailAt: nil, fileSize: raw.count)
            }
        }
        if let failure { throw failure }
        return result
    }

    private static func allZero(_ raw: UnsafeRawBufferPointer, from: Int) -> Bool {
        var i = from
        while i < raw.count {
            if raw[i] != 0 { return false }
            i += 1
        }
        return true
    }

    private static func parse(
        _ raw: UnsafeRawBufferPointer,
        path: String,
        strict: Bool,
        _ body: (UnsafeRawBufferPointer) throws(StorageError) -> Void
    ) throws(StorageError) -> Result {
        let size = raw.count
        var offset = 0
        var records = 0
        func torn(_ at: Int) -> Result { Result(records: records, validLength: at, tornTailAt: at, fileSize: size) }
        while offset < size {
            let remaining = size - offset
            if remaining < LogFormat.headerSize { return torn(offset) }
            let storedHeaderCRC = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let headerCRC = CRC32C.mask(
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[(offset + 4)..<(offset + LogFormat.headerSize)])))
            if storedHeaderCRC != headerCRC {
                if !strict && allZero(raw, from: offset) { return torn(offset) }
                throw .corruption(file: path, offset: offset, reason: "log record header checksum mismatch")
            }
            let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
            let type = raw[offset + 8]
            let storedPayloadCRC = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 9, as: UInt32.self))
            guard type == LogFormat.fullRecord else {
                throw .corruption(file: path, offset: offset, reason: "unknown log record type \(type)")
            }
            let start = offset + LogFormat.headerSize
            if length > size - start { return torn(offset) }
            let payload = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
            if CRC32C.mask(CRC32C.checksum(payload)) != storedPayloadCRC {
                if !strict && (start + length == size || allZero(raw, from: start + length)) { return torn(offset) }
                throw .corruption(file: path, offset: offset, reason: "log record payload checksum mismatch")
            }
            try body(payload)
            records += 1
            offset = start + length
        }
        return Result(records: records, validLength: size, tornTailAt: nil, fileSize: size)
    }
}
