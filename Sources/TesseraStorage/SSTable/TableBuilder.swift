public import TesseraCore

/// Writes one immutable SSTable: data blocks (prefix-compressed, LZ4, checksummed), a bloom filter, a
/// properties block, an index block and the footer. docs/storage-sstable.md has the byte format.
///
/// Usage: `add` entries in strictly increasing key order, then `finish()`, which writes the rest and syncs the
/// file (it does not close it). Output is buffered and appended in chunks of about 256 KiB.
public struct TableBuilder {
    private let file: any WritableFile
    private let path: String
    private let options: TableOptions
    private var dataBlock: BlockBuilder
    private var indexBlock: BlockBuilder
    /// Bytes produced but not yet appended to the file.
    private var pending: ByteWriter
    /// Offset of the next block in the file (bytes appended + pending).
    private var offset = 0
    /// Reused LZ4 output buffer.
    private var scratch: [UInt8] = []
    private var keyHashes: [UInt64] = []
    private var lastKey: [UInt8] = []
    private var props = TableProperties()
    private var finished = false

    private static let flushThreshold = 256 * 1024

    /// Starts a table that will be written to `file` (named `path` in errors).
    public init(file: any WritableFile, path: String, options: TableOptions) {
        precondition(options.blockSize >= 64, "blockSize must be at least 64 bytes")
        precondition(options.bloomBitsPerKey >= 0 && options.bloomBitsPerKey <= 64, "bloomBitsPerKey must be in 0...64")
        self.file = file
        self.path = path
        self.options = options
        self.offset = file.size
        dataBlock = BlockBuilder(restartInterval: options.restartInterval, capacity: options.blockSize)
        indexBlock = BlockBuilder(restartInterval: 1, capacity: 4096)
        pending = ByteWriter(capacity: TableBuilder.flushThreshold + options.blockSize * 2)
    }

    /// Entries added so far.
    public var entryCount: Int { props.entryCount }

    /// The file's size if the table were finished now (without the filter and index), for splitting output.
    public var estimatedFileSize: Int { offset + dataBlock.estimatedSize }

    /// Adds an entry. Keys must be strictly increasing (a precondition). Throws `invalidArgument` for a key
    /// over 64 KiB or a value over 16 MiB, or an I/O error from the file.
    public mutating func add(_ key: [UInt8], _ cell: Cell) throws(StorageError) {
        precondition(!finished, "add() after finish()")
        guard key.count <= Limits.maxKeySize else {
            throw StorageError.invalidArgument("key is \(key.count) bytes; the limit is \(Limits.maxKeySize) bytes (64 KiB)")
        }
        if let value = cell.value, value.count > Limits.maxValueSize {
            throw StorageError.invalidArgument("value is \(value.count) bytes; the limit is \(Limits.maxValueSize) bytes (16 MiB)")
        }
        if props.entryCount > 0 {
            precondition(KeyComparison.less(lastKey, key), "TableBuilder keys must be strictly increasing")
        } else {
            props.smallestKey = key
            props.minVersion = cell.version
            props.maxVersion = cell.version
        }
        if options.bloomBitsPerKey > 0 { keyHashes.append(BloomFilter.hash(key)) }
        key.withUnsafeBytes { k in
            dataBlock.add(key: k, valueLength: CellEncoding.encodedSize(cell)) { CellEncoding.encode(cell, into: &$0) }
        }
        lastKey.removeAll(keepingCapacity: true)
        lastKey.append(contentsOf: key)
        props.entryCount += 1
        props.rawKeyBytes += key.count
        if let value = cell.value { props.rawValueBytes += value.count } else { props.tombstoneCount += 1 }
        if cell.version < props.minVersion { props.minVersion = cell.version }
        if cell.version > props.maxVersion { props.maxVersion = cell.version }
        if dataBlock.estimatedSize >= options.blockSize { try flushDataBlock() }
    }

    /// Writes the last data block, the filter, properties and index blocks and the footer, appends everything
    /// to the file and syncs it. Returns what the table holds.
    public mutating func finish() throws(StorageError) -> TableProperties {
        precondition(!finished, "finish() called twice")
        finished = true
        if !dataBlock.isEmpty { try flushDataBlock() }
        var filterHandle = BlockHandle(offset: 0, size: 0)
        if options.bloomBitsPerKey > 0 {
            let filter = BloomFilter.build(hashes: keyHashes, bitsPerKey: options.bloomBitsPerKey)
            filterHandle = filter.withUnsafeBytes { Self.appendBlock($0, compress: false, pending: &pending, offset: &offset, scratch: &scratch) }
            keyHashes = []
        }
        props.largestKey = lastKey
        let propsBytes = props.encode()
        let propsHandle = propsBytes.withUnsafeBytes { Self.appendBlock($0, compress: false, pending: &pending, offset: &offset, scratch: &scratch) }
        indexBlock.finishInPlace()
        let compressIndex = options.compression == .lz4
        let indexHandle = indexBlock.buffer.bytes.withUnsafeBytes {
            Self.appendBlock($0, compress: compressIndex, pending: &pending, offset: &offset, scratch: &scratch)
        }
        pending.append(Footer(filter: filterHandle, index: indexHandle, properties: propsHandle).encode())
        offset += Footer.size
        try flushPending()
        try file.sync()
        props.fileSize = offset
        return props
    }

    private mutating func flushDataBlock() throws(StorageError) {
        dataBlock.finishInPlace()
        let compress = options.compression == .lz4
        let handle = dataBlock.buffer.bytes.withUnsafeBytes {
            Self.appendBlock($0, compress: compress, pending: &pending, offset: &offset, scratch: &scratch)
        }
        dataBlock.reset()
        props.dataBlockCount += 1
        // Index entry: the block's last key, so the first index key >= a target names the only block that
        // can hold it.
        var handleBytes = ByteWriter(capacity: BlockHandle.maxEncodedSize)
        handle.encode(into: &handleBytes)
        lastKey.withUnsafeBytes { k in
            indexBlock.add(key: k, valueLength: handleBytes.count) { $0.append(handleBytes.bytes) }
        }
        if pending.count >= Self.flushThreshold { try flushPending() }
    }

    private mutating func flushPending() throws(StorageError) {
        if pending.count == 0 { return }
        try file.append(pending.bytes)
        pending.removeAll()
    }

    /// Appends `contents` (LZ4-compressed when asked and when that saves at least 1/8) and its trailer to
    /// `pending`; returns the block's handle.
    private static func appendBlock(
        _ contents: UnsafeRawBufferPointer, compress: Bool, pending: inout ByteWriter, offset: inout Int,
        scratch: inout [UInt8]
    ) -> BlockHandle {
        var type = TableFormat.typeNone
        var storedSize = contents.count
        if compress && contents.count >= 64 && contents.count <= LZ4.maxInputSize {
            let header = ByteWriter.varintSize(UInt64(contents.count))
            let needed = header + LZ4.compressBound(contents.count)
            if scratch.count < needed { scratch = [UInt8](repeating: 0, count: needed) }
            let total = scratch.withUnsafeMutableBytes { out -> Int in
                var v = UInt64(contents.count)
                var i = 0
                while v >= 0x80 {
                    out[i] = UInt8(truncatingIfNeeded: v) | 0x80
                    v >>= 7
                    i += 1
                }
                out[i] = UInt8(v)
                let n = LZ4.compress(contents, into: UnsafeMutableRawBufferPointer(rebasing: out[header...]))
                return n > 0 ? header + n : 0
            }
            if total > 0 && total < contents.count - contents.count / 8 {
                type = TableFormat.typeLZ4
                storedSize = total
            }
        }
        let handle = BlockHandle(offset: offset, size: storedSize)
        let crc: UInt32
        if type == TableFormat.typeLZ4 {
            crc = scratch.withUnsafeBytes { raw in
                let stored = UnsafeRawBufferPointer(rebasing: raw[0..<storedSize])
                pending.append(stored)
                return TableFormat.trailerChecksum(contents: stored, type: type)
            }
        } else {
            pending.append(contents)
            crc = TableFormat.trailerChecksum(contents: contents, type: type)
        }
        pending.append(type)
        pending.appendFixed32(crc)
        offset += storedSize + TableFormat.trailerSize
        return handle
    }
}
