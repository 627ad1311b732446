/// One change to the set of live tables, as written to the manifest: files added and removed, plus the
/// counters that must survive a restart. A flush adds one L0 file and advances `logNumber`; a compaction
/// removes its inputs and adds its outputs in one edit, so a crash leaves the old set or the new one.
///
/// Encoding (a sequence of tagged fields, all integers little-endian; DO NOT CHANGE: on disk):
/// ```
/// tag 1 logNumber:      UInt64
/// tag 2 nextFileNumber: UInt64
/// tag 3 added file:     UInt8 level | UInt64 number | UInt64 size | UInt64 entryCount
///                       | UInt32 smallest length | smallest | UInt32 largest length | largest
/// tag 4 removed file:   UInt8 level | UInt64 number
/// ```
struct VersionEdit: Sendable, Equatable {
    var logNumber: UInt64?
    var nextFileNumber: UInt64?
    var added: [(level: Int, file: FileMetadata)] = []
    var removed: [(level: Int, number: UInt64)] = []

    static func == (a: VersionEdit, b: VersionEdit) -> Bool {
        a.logNumber == b.logNumber && a.nextFileNumber == b.nextFileNumber
            && a.added.map { "\($0.level)/\($0.file)" } == b.added.map { "\($0.level)/\($0.file)" }
            && a.removed.map { "\($0.level)/\($0.number)" } == b.removed.map { "\($0.level)/\($0.number)" }
    }

    func encode() -> [UInt8] {
        var out: [UInt8] = []
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        if let logNumber {
            out.append(1)
            u64(logNumber)
        }
        if let nextFileNumber {
            out.append(2)
            u64(nextFileNumber)
        }
        for (level, file) in added {
            out.append(3)
            out.append(UInt8(level))
            u64(file.number)
            u64(UInt64(file.size))
            u64(UInt64(file.entryCount))
            u32(UInt32(file.smallest.count))
            out.append(contentsOf: file.smallest)
            u32(UInt32(file.largest.count))
            out.append(contentsOf: file.largest)
        }
        for (level, number) in removed {
            out.append(4)
            out.append(UInt8(level))
            u64(number)
        }
        return out
    }

    static func decode(_ raw: UnsafeRawBufferPointer, path: String, offset: Int) throws(StorageError) -> VersionEdit {
        func bad(_ reason: String) -> StorageError {
            .corruption(file: path, offset: offset, reason: "bad manifest edit: \(reason)")
        }
        var p = 0
        func need(_ n: Int) throws(StorageError) { if raw.count - p < n { throw bad("truncated field") } }
        func u64() throws(StorageError) -> UInt64 {
            try need(8)
            defer { p += 8 }
            return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt64.self))
        }
        func u32() throws(StorageError) -> UInt32 {
            try need(4)
            defer { p += 4 }
            return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt32.self))
        }
        func u8() throws(StorageError) -> UInt8 {
            try need(1)
            defer { p += 1 }
            return raw[p]
        }
        func bytes(_ n: Int) throws(StorageError) -> [UInt8] {
            try need(n)
            defer { p += n }
            return Array(raw[p..<(p + n)])
        }
        var edit = VersionEdit()
        while p < raw.count {
            let tag = try u8()
            switch tag {
            case 1: edit.logNumber = try u64()
            case 2: edit.nextFileNumber = try u64()
            case 3:
                let level = Int(try u8())
                guard level < LevelGeometry.levels else { throw bad("level \(level) out of range") }
                let number = try u64()
                let size = try u64()
                let entries = try u64()
                let smallest = try bytes(Int(try u32()))
                let largest = try bytes(Int(try u32()))
                guard size < 1 << 40, entries < 1 << 40 else { throw bad("implausible file size") }
                edit.added.append(
                    (level, FileMetadata(number: number, size: Int(size), smallest: smallest, largest: largest,
                                         entryCount: Int(entries))))
            case 4:
                let level = Int(try u8())
                guard level < LevelGeometry.levels else { throw bad("level \(level) out of range") }
                edit.removed.append((level, try u64()))
            default:
                throw bad("unknown tag \(tag)")
            }
        }
        return edit
    }
}
