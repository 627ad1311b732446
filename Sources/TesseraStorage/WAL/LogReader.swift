/// Reads the records of one log file (a WAL segment or a manifest) written by `LogWriter`.
///
/// A damaged tail that a crash can leave (an incomplete header, a record cut short, a last record whose payload
/// does not match its checksum, or a run of zero bytes) ends the log: `Result.tornTailAt` says where, and the
/// caller truncates the file there. Damage followed by more data is corruption: it throws
/// `StorageError.corruption` naming the file and the offset of the bad record, never skipping it.
///
/// `strict` (used for the manifest, whose every record is synced before anything depends on it) treats a
/// complete last record with a bad checksum as corruption too: only a record cut short is a torn tail.
///
/// `mode` (WAL only) changes what damage in the middle does: `.pointInTime` stops there, `.skipCorrupted` skips
/// to the next intact record. Every drop, torn tails included, is passed to `onDrop`.
enum LogReader {
    /// Bytes of a log that recovery did not replay.
    struct Drop {
        /// Where the dropped bytes start, and how many.
        var offset: Int
        var length: Int
        var reason: String
        /// True for a torn tail (the end of the file), false for damage followed by more data.
        var torn: Bool
        /// The payload of a complete record whose checksum failed (what it held may be recognisable).
        var damagedPayload: [UInt8]?
    }

    struct Result {
        /// Number of good records read.
        var records: Int
        /// Offset just past the last good record.
        var validLength: Int
        /// If the log ended with a torn record, the offset where it started (== validLength).
        var tornTailAt: Int?
        /// The file's size as read.
        var fileSize: Int
        /// True if `.pointInTime` recovery stopped at damage (later logs must not be replayed).
        var stoppedAtDamage = false
    }

    /// Reads the whole file with a recovery mode; `body` gets each good record's payload and offset.
    static func read(
        fileSystem: any FileSystem,
        path: String,
        mode: WALRecoveryMode,
        onDrop: (Drop) -> Void,
        _ body: (UnsafeRawBufferPointer, Int) throws(StorageError) -> Void
    ) throws(StorageError) -> Result {
        let file = try fileSystem.openRandomAccess(path)
        defer { file.close() }
        let bytes = try file.read(at: 0, count: file.size, path: path)
        var failure: StorageError?
        let result = bytes.withUnsafeBytes { raw -> Result in
            do throws(StorageError) {
                return try parse(raw, path: path, strict: false, mode: mode, onDrop: onDrop, body)
            } catch {
                failure = error
                return Result(records: 0, validLength: 0, tornTailAt: nil, fileSize: raw.count)
            }
        }
        if let failure { throw failure }
        return result
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
                return try parse(raw, path: path, strict: strict, mode: .strict, onDrop: { _ in }) { p, _ throws(StorageError) in try body(p) }
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

    /// True if a whole, intact record starts at `offset`.
    private static func intactRecord(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard raw.count - offset >= LogFormat.headerSize else { return false }
        let storedHeaderCRC = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        let headerCRC = CRC32C.mask(
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[(offset + 4)..<(offset + LogFormat.headerSize)])))
        guard storedHeaderCRC == headerCRC, raw[offset + 8] == LogFormat.fullRecord else { return false }
        let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
        let start = offset + LogFormat.headerSize
        guard length <= raw.count - start else { return false }
        let storedPayloadCRC = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 9, as: UInt32.self))
        return CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])))
            == storedPayloadCRC
    }

    private static func parse(
        _ raw: UnsafeRawBufferPointer,
        path: String,
        strict: Bool,
        mode: WALRecoveryMode,
        onDrop: (Drop) -> Void,
        _ body: (UnsafeRawBufferPointer, Int) throws(StorageError) -> Void
    ) throws(StorageError) -> Result {
        let size = raw.count
        var offset = 0
        var records = 0
        func torn(_ at: Int, _ reason: String, payload: UnsafeRawBufferPointer? = nil) -> Result {
            if at < size {
                onDrop(Drop(offset: at, length: size - at, reason: reason, torn: true, damagedPayload: payload.map { Array($0) }))
            }
            return Result(records: records, validLength: at, tornTailAt: at, fileSize: size)
        }
        /// Damage followed by more data: refuse (strict), stop (point in time) or skip to the next intact record.
        /// Returns the offset to go on from, or nil when the file ends here.
        func damaged(_ at: Int, _ reason: String) throws(StorageError) -> Int? {
            switch mode {
            case .strict:
                throw .corruption(file: path, offset: at, reason: reason)
            case .pointInTime:
                onDrop(Drop(offset: at, length: size - at, reason: reason, torn: false, damagedPayload: nil))
                return nil
            case .skipCorrupted:
                var next = at + 1
                while next < size && !intactRecord(raw, at: next) { next += 1 }
                onDrop(Drop(offset: at, length: next - at, reason: reason, torn: false, damagedPayload: nil))
                return next < size ? next : nil
            }
        }
        func stopped() -> Result {
            Result(records: records, validLength: offset, tornTailAt: nil, fileSize: size, stoppedAtDamage: mode == .pointInTime)
        }
        while offset < size {
            let remaining = size - offset
            if remaining < LogFormat.headerSize { return torn(offset, "an incomplete record header of \(remaining) bytes") }
            let storedHeaderCRC = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let headerCRC = CRC32C.mask(
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[(offset + 4)..<(offset + LogFormat.headerSize)])))
            if storedHeaderCRC != headerCRC {
                if !strict && allZero(raw, from: offset) { return torn(offset, "zero bytes after the last record") }
                guard let next = try damaged(offset, "log record header checksum mismatch") else { return stopped() }
                offset = next
                continue
            }
            let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
            let type = raw[offset + 8]
            let storedPayloadCRC = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 9, as: UInt32.self))
            guard type == LogFormat.fullRecord else {
                guard let next = try damaged(offset, "unknown log record type \(type)") else { return stopped() }
                offset = next
                continue
            }
            let start = offset + LogFormat.headerSize
            if length > size - start {
                return torn(offset, "a record of \(length) bytes cut short after \(size - start) bytes")
            }
            let payload = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
            if CRC32C.mask(CRC32C.checksum(payload)) != storedPayloadCRC {
                if !strict && (start + length == size || allZero(raw, from: start + length)) {
                    return torn(offset, "the last record's payload checksum mismatch", payload: payload)
                }
                guard let next = try damaged(offset, "log record payload checksum mismatch") else { return stopped() }
                offset = next
                continue
            }
            try body(payload, offset)
            records += 1
            offset = start + length
        }
        return Result(records: records, validLength: size, tornTailAt: nil, fileSize: size)
    }
}
