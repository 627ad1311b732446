public import TesseraCore

/// An open, immutable SSTable. Opening reads and verifies the footer, index, filter and properties blocks;
/// data blocks are read on demand (through the block cache when one is given), verified against their
/// CRC32C, decompressed, and never returned if anything fails: callers get `StorageError.corruption`.
///
/// Thread-safe: all state is immutable and reads use positioned reads (`pread`).
public final class TableReader: Sendable {
    let file: any RandomAccessFile
    /// The file's path, for error messages.
    public let path: String
    /// The table's file number (the block cache key).
    public let fileNumber: UInt64
    let cache: BlockCache?
    let index: Block
    let indexHandle: BlockHandle
    let filter: BloomFilter?
    /// What the table holds.
    public let properties: TableProperties

    private init(
        file: any RandomAccessFile, path: String, fileNumber: UInt64, cache: BlockCache?, index: Block,
        indexHandle: BlockHandle, filter: BloomFilter?, properties: TableProperties
    ) {
        self.file = file
        self.path = path
        self.fileNumber = fileNumber
        self.cache = cache
        self.index = index
        self.indexHandle = indexHandle
        self.filter = filter
        self.properties = properties
    }

    /// Opens a table: reads and verifies its footer, index, filter and properties.
    /// Throws `corruption` if any of them is damaged or the file is not a table.
    public static func open(file: any RandomAccessFile, path: String, fileNumber: UInt64, cache: BlockCache?) throws(StorageError) -> TableReader {
        let size = file.size
        guard size >= Footer.size else {
            throw StorageError.corruption(file: path, offset: 0, reason: "file of \(size) bytes is too short to be an SSTable (footer is \(Footer.size) bytes)")
        }
        let footerBytes = try file.read(at: size - Footer.size, count: Footer.size, path: path)
        let footer = try Footer.decode(footerBytes, fileSize: size, path: path)

        let (indexData, indexSize) = try readBlockContents(file: file, path: path, handle: footer.index)
        let index: Block
        switch Block.parse(indexData, size: indexSize) {
        case .success(let b): index = b
        case .failure(let e): throw StorageError.corruption(file: path, offset: footer.index.offset, reason: "index block: \(e.reason)")
        }

        var filter: BloomFilter?
        if footer.filter.size > 0 {
            let (data, n) = try readBlockContents(file: file, path: path, handle: footer.filter)
            guard let f = BloomFilter(n == data.count ? data : Array(data[0..<n])) else {
                throw StorageError.corruption(file: path, offset: footer.filter.offset, reason: "filter block of \(n) bytes is malformed")
            }
            filter = f
        }

        let (propsData, propsSize) = try readBlockContents(file: file, path: path, handle: footer.properties)
        guard let props = TableProperties.decode(Array(propsData[0..<propsSize]), fileSize: size) else {
            throw StorageError.corruption(file: path, offset: footer.properties.offset, reason: "properties block is malformed")
        }
        return TableReader(
            file: file, path: path, fileNumber: fileNumber, cache: cache, index: index, indexHandle: footer.index,
            filter: filter, properties: props)
    }

    /// Closes the file. Using the reader afterwards is a programmer error.
    public func close() { file.close() }

    /// False only if the table certainly does not hold `key` (bloom filter; true when there is no filter).
    public func mayContain(_ key: [UInt8]) -> Bool {
        guard let filter else { return true }
        return filter.mayContain(key)
    }

    /// The cell stored for `key`, or nil. Checks the bloom filter first.
    public func get(_ key: [UInt8]) throws(StorageError) -> Cell? {
        guard case .found(let cell) = try lookup(key, cachedOnly: false) else { return nil }  // never .notCached
        return cell
    }

    /// `get`, or with `cachedOnly` `.notCached` instead of reading a data block that is not in the block cache
    /// (the filter and index are in memory), so that it never blocks on the disk.
    public func lookup(_ key: [UInt8], cachedOnly: Bool) throws(StorageError) -> StorageLookup {
        if let filter, !filter.mayContain(key) { return .found(nil) }
        let indexHit: BlockSearchResult?
        do { indexHit = try index.search(key) } catch { throw indexCorruption(error) }
        guard let indexHit else { return .found(nil) }
        let handle = try handle(atValueOffset: indexHit.valueOffset, length: indexHit.valueLength)
        let block: Block
        if cachedOnly {
            guard let cached = cache?.lookup(fileNumber: fileNumber, offset: handle.offset) else { return .notCached }
            block = cached
        } else {
            block = try dataBlock(handle)
        }
        let hit: BlockSearchResult?
        do { hit = try block.search(key) } catch {
            throw StorageError.corruption(file: path, offset: handle.offset, reason: "data block: \(error.reason) at \(error.offset)")
        }
        guard let hit, hit.exact else { return .found(nil) }
        let cell = block.data.withUnsafeBytes { raw in
            CellEncoding.decode(raw.baseAddress! + hit.valueOffset, count: hit.valueLength)
        }
        guard let cell else {
            throw StorageError.corruption(file: path, offset: handle.offset, reason: "malformed cell for a key in a data block")
        }
        return .found(cell)
    }

    /// An iterator over the whole table in key order (unpositioned: call `seekToFirst` or `seek`).
    /// `fillCache: false` (for compaction) still uses cached blocks but does not add the blocks it reads,
    /// so a one-time sequential pass does not evict the hot blocks of readers (LevelDB's `fill_cache`).
    public func makeIterator(fillCache: Bool = true) -> TableIterator { TableIterator(table: self, fillCache: fillCache) }

    // MARK: - Block access

    func indexCorruption(_ error: BlockCorruption) -> StorageError {
        StorageError.corruption(file: path, offset: indexHandle.offset, reason: "index block: \(error.reason) at \(error.offset)")
    }

    /// Decodes the block handle stored as the value of the current index entry.
    func handleAt(_ indexIter: BlockIterator) throws(StorageError) -> BlockHandle {
        try handle(atValueOffset: indexIter.valueOffset, length: indexIter.valueLength)
    }

    /// Decodes the block handle stored in the index block at `offset`.
    func handle(atValueOffset offset: Int, length: Int) throws(StorageError) -> BlockHandle {
        let handle: BlockHandle? = index.data.withUnsafeBytes { raw in
            guard length > 0, offset + length <= index.restartsOffset else { return nil }
            return BlockHandle.decode(raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, count: length)
        }
        guard let handle, handle.offset + handle.size + TableFormat.trailerSize <= file.size - Footer.size else {
            throw StorageError.corruption(file: path, offset: indexHandle.offset, reason: "index entry holds a bad block handle")
        }
        return handle
    }

    /// A data block, from the cache or read, verified and decompressed.
    func dataBlock(_ handle: BlockHandle, fillCache: Bool = true) throws(StorageError) -> Block {
        if let cache, let block = cache.lookup(fileNumber: fileNumber, offset: handle.offset) { return block }
        let (data, size) = try Self.readBlockContents(file: file, path: path, handle: handle)
        let block: Block
        switch Block.parse(data, size: size) {
        case .success(let b): block = b
        case .failure(let e): throw StorageError.corruption(file: path, offset: handle.offset, reason: "data block: \(e.reason)")
        }
        if fillCache { cache?.insert(fileNumber: fileNumber, offset: handle.offset, block: block) }
        return block
    }

    /// Reads a stored block and its trailer, checks the CRC32C and decompresses it. Returns the contents
    /// and their size (the array may be longer: an uncompressed block keeps its trailer bytes at the end).
    static func readBlockContents(file: any RandomAccessFile, path: String, handle: BlockHandle) throws(StorageError) -> ([UInt8], Int) {
        let total = handle.size + TableFormat.trailerSize
        guard handle.size <= TableFormat.maxBlockSize, handle.offset + total <= file.size else {
            throw StorageError.corruption(file: path, offset: handle.offset, reason: "block of \(handle.size) bytes at \(handle.offset) runs past the end of the file")
        }
        let raw = try file.read(at: handle.offset, count: total, path: path)
        let size = handle.size
        let (type, ok) = raw.withUnsafeBytes { buf -> (UInt8, Bool) in
            let type = buf[size]
            let stored = UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: size + 1, as: UInt32.self))
            let actual = TableFormat.trailerChecksum(contents: UnsafeRawBufferPointer(rebasing: buf[0..<size]), type: type)
            return (type, stored == actual)
        }
        guard ok else {
            throw StorageError.corruption(file: path, offset: handle.offset, reason: "block checksum mismatch (\(size) bytes)")
        }
        switch type {
        case TableFormat.typeNone:
            return (raw, size)
        case TableFormat.typeLZ4:
            var failure: String?
            let out: [UInt8]? = raw.withUnsafeBytes { buf -> [UInt8]? in
                let base = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
                guard let (length, start) = decodeVarint32(base, base + size) else {
                    failure = "compressed block has a bad length header"
                    return nil
                }
                let n = Int(length)
                guard n <= TableFormat.maxBlockSize else {
                    failure = "compressed block claims \(n) bytes uncompressed; the limit is \(TableFormat.maxBlockSize)"
                    return nil
                }
                let input = UnsafeRawBufferPointer(start: start, count: size - (start - base))
                var ok = false
                let result = [UInt8](unsafeUninitializedCapacity: n) { dst, initialized in
                    ok = LZ4.decompress(input, into: UnsafeMutableRawBufferPointer(dst))
                    initialized = ok ? n : 0
                }
                if !ok { failure = "LZ4 data does not decompress to \(n) bytes" }
                return ok ? result : nil
            }
            guard let out else { throw StorageError.corruption(file: path, offset: handle.offset, reason: failure ?? "bad compressed block") }
            return (out, out.count)
        default:
            throw StorageError.corruption(file: path, offset: handle.offset, reason: "unknown block type \(type)")
        }
    }
}
