public import TesseraCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-node LSM storage engine: a write-ahead log, a memtable, LZ4-compressed SSTables in levels,
/// background flush and leveled compaction. docs/storage.md describes the formats and guarantees.
///
/// Every write carries a `Version`; the highest version of a key wins everywhere, whatever order writes arrive
/// in (an older write that arrives late is stored but never returned while a newer cell exists; equal versions
/// keep the first). Deletes are tombstones, dropped by compaction only after
/// `StorageOptions.tombstoneGracePeriodSeconds`.
///
/// Thread-safety: all methods may be called from many threads at once. Calls block (file I/O, waiting for a
/// group commit or a flush): call them from a thread pool, not from an event loop. Call `close()` before
/// dropping the engine: its background threads hold a reference until then.
// @unchecked Sendable: all mutable state lives in `s`, which is read and written only while `lock` is held
// (documented per method); everything else is immutable after init or itself thread-safe (Atomic, BlockCache).
public final class StorageEngine: @unchecked Sendable {
    /// One caller waiting in the write queue. Touched only under the engine lock.
    final class Writer {
        let batch: WriteBatch?
        let sync: Bool
        let forceSwitch: Bool
        var done = false
        var error: StorageError?

        init(batch: WriteBatch?, sync: Bool, forceSwitch: Bool) {
            self.batch = batch
            self.sync = sync
            self.forceSwitch = forceSwitch
        }
    }

    /// Everything mutable. Guarded by `lock`.
    struct State {
        var mem: Memtable
        var imm: FrozenMemtable?
        var tables: TableSet = .empty
        var levelState = LevelState()
        var wal: LogWriter?
        var walNumber: UInt64 = 0
        var walDirty = false
        var manifest: ManifestStore?
        var writers: [Writer] = []
        var lastGroupSize = 1
        /// Positive while writers have recently found the queue busy: the group window applies only then, so
        /// a lone writer never waits.
        var contentionCredits = 0
        var bgError: StorageError?
        var closing = false
        var closed = false
        var backgroundRunning = false
        var periodicRunning = false
        var manualCompactionsRequested = 0
        var manualCompactionsDone = 0
        var compactPointers: [[UInt8]?] = Array(repeating: nil, count: LevelGeometry.levels)
        var stats = StorageStats()
        /// Writes paused because a log write failed with ENOSPC (soft error; the background thread resumes).
        var noSpace: NoSpacePause?
        /// Writes resumed after `noSpace`; cleared (and reported) when the first write gets through.
        var resumeTrial: NoSpacePause?
        /// A flush failed for lack of space: retried at `due`.
        var flushRetry: RetryBackoff?
        /// Compactions wait for space: retried at `due`.
        var compactionRetry: RetryBackoff?
        /// Why the last manual compaction could not run (thrown by `compactAll`).
        var manualCompactionFailure: StorageError?
        /// Tables a read found damaged, waiting for the background thread to quarantine them.
        var quarantineRequests: [UInt64: StorageError] = [:]
        /// Log segments left behind by a resume, removed after the next flush.
        var retiredLogs: [UInt64] = []
        /// The oldest log segment holding entries of the mutable memtable: `walNumber`, or an older segment
        /// when writes resumed on a fresh one after a full disk. A flush records it as the manifest's
        /// `logNumber` (replay starts there).
        var memFirstLog: UInt64 = 0
    }

    let directory: String
    let options: StorageOptions
    let fs: any FileSystem
    let cache: BlockCache?
    let tableOptions: TableOptions
    let lock = ConditionLock()
    /// Guarded by `lock`.
    var s: State
    /// Set while a frozen memtable waits for its flush (read by a running compaction without the lock).
    let immPending = Atomic<Bool>(false)
    /// Set when close begins (read by a running compaction without the lock, to stop early).
    let closingFlag = Atomic<Bool>(false)
    /// `directory/LOCK`, held from open to close so that a second process cannot open the same database.
    /// Set once in `open` before the engine is shared.
    private(set) var directoryLock: FileLock?

    init(directory: String, options: StorageOptions) {
        self.directory = directory
        self.options = options
        self.fs = options.fileSystem
        self.cache = options.blockCacheBytes > 0 ? BlockCache(capacityBytes: options.blockCacheBytes) : nil
        self.tableOptions = TableOptions(
            blockSize: options.blockSizeBytes, restartInterval: 16, bloomBitsPerKey: options.bloomBitsPerKey,
            compression: options.compressBlocks ? .lz4 : .none)
        self.s = State(mem: Memtable(expectedBytes: options.memtableSizeBytes))
    }

    /// Opens (creating if needed) the database in `directory`: replays the manifest and the write-ahead log,
    /// cuts a torn log tail, deletes leftover files of an interrupted flush or compaction, and starts the
    /// background threads. Throws `corruption` naming the file and offset if the manifest or a log is damaged
    /// in the middle, or a live table is missing.
    public static func open(directory: String, options: StorageOptions = StorageOptions()) throws(StorageError)
        -> StorageEngine
    {
        try options.validate()
        let engine = StorageEngine(directory: directory, options: options)
        try options.fileSystem.createDirectory(directory)
        engine.directoryLock = try options.fileSystem.lockFile(directory + "/LOCK")
        do {
            try engine.recover()
        } catch {
            engine.directoryLock?.unlock()
            throw error
        }
        engine.startBackgroundThreads()
        return engine
    }

    // MARK: writes

    /// Stores `value` under `key` at `version`. Returns when the write is durable per the sync policy.
    /// Throws `invalidArgument` for an empty key, a key over 64 KiB or a value over 16 MiB.
    public func put(_ key: [UInt8], _ value: [UInt8], version: Version) throws(StorageError) {
        var batch = WriteBatch(reserving: key.count + value.count + 32)
        batch.put(key, value, version: version)
        try write(batch)
    }

    /// Deletes `key` at `version`: stores a tombstone.
    public func delete(_ key: [UInt8], version: Version) throws(StorageError) {
        var batch = WriteBatch(reserving: key.count + 32)
        batch.delete(key, version: version)
        try write(batch)
    }

    /// Stores a cell as it is, a value or a tombstone (the replication and repair path).
    public func apply(_ key: [UInt8], _ cell: Cell) throws(StorageError) {
        var batch = WriteBatch(reserving: key.count + (cell.value?.count ?? 0) + 32)
        batch.apply(key, cell)
        try write(batch)
    }

    /// Applies a batch atomically: after a crash either all its entries are present or none.
    public func write(_ batch: WriteBatch) throws(StorageError) {
        if let invalid = batch.invalid { throw .invalidArgument(invalid) }
        if batch.rep.count > 1 << 30 {
            throw .invalidArgument("write batch is \(batch.rep.count) bytes; the limit is 1 GiB")
        }
        if batch.count == 0 { return }
        try enqueue(batch: batch, sync: options.syncPolicy.syncsEachWrite, forceSwitch: false)
    }

    /// The write queue (LevelDB's): each caller enqueues; the one at the front leads a group, writes all the
    /// group's records to the log with one write and at most one sync, applies them to the memtable, and wakes
    /// the others.
    func enqueue(batch: WriteBatch?, sync: Bool, forceSwitch: Bool) throws(StorageError) {
        let w = Writer(batch: batch, sync: sync, forceSwitch: forceSwitch)
        lock.lock()
        if s.closed || s.closing {
            lock.unlock()
            throw .closed("the engine is closed")
        }
        if !s.writers.isEmpty { s.contentionCredits = 64 }
        s.writers.append(w)
        while !w.done && s.writers.first !== w { lock.wait() }
        if w.done {
            lock.unlock()
            if let e = w.error { throw e }
            return
        }
        var failure: StorageError?
        do {
            try makeRoomForWrite(force: forceSwitch)
        } catch {
            failure = error
        }
        if failure == nil, case .group(let window) = options.syncPolicy, window > 0, s.contentionCredits > 0 {
            s.contentionCredits -= 1
            lock.unlock()
            usleep(UInt32(window))
            lock.lock()
        }
        var group: [Writer] = [w]
        var groupBytes = batch?.rep.count ?? 0
        if failure == nil {
            var i = 1
            while i < s.writers.count && groupBytes < 1 << 20 {
                let x = s.writers[i]
                if x.forceSwitch { break }
                group.append(x)
                groupBytes += x.batch?.rep.count ?? 0
                i += 1
            }
        }
        let wal = s.wal
        lock.unlock()

        var needSync = false
        var records = 0
        var walFailed = false
        var groupStart = 0
        if failure == nil && wal == nil && group.contains(where: { $0.batch != nil }) {
            failure = .closed("no write-ahead log is open")  // never apply a write that is not logged
        }
        if failure == nil, let wal {
            let before = wal.size
            groupStart = before
            for x in group {
                if let b = x.batch {
                    b.rep.withUnsafeBytes { wal.add($0) }
                    records += 1
                }
                needSync = needSync || x.sync
            }
            do {
                try wal.flush()
                if needSync { try wal.sync() }
            } catch {
                failure = error
                walFailed = true
            }
            groupBytes = wal.size - before
        }

        lock.lock()
        if walFailed, let failure, let wal {
            // Cut back to `before` when resuming: the failed group may be partly on disk, and it was not applied.
            logWriteFailed(failure, path: wal.path, goodSize: groupStart)
        }
        if failure == nil {
            for x in group {
                guard let b = x.batch else { continue }
                apply(b)
                s.stats.bytesWrittenByUser += b.userBytes
            }
            s.stats.walWrites += records
            if records > 0 && s.resumeTrial != nil { writeSucceededAfterResume() }
            s.stats.bytesWrittenToDisk += groupBytes
            if needSync {
                s.stats.walSyncs += 1
                s.walDirty = false
            } else if records > 0 {
                s.walDirty = true
            }
        }
        s.writers.removeFirst(group.count)
        for x in group {
            x.done = true
            x.error = failure
        }
        s.lastGroupSize = group.count
        // Wake the followers of this group (done now), the next leader, or close() waiting for the queue to
        // drain. Skipping the broadcast when nobody can be waiting for it keeps a single writer from waking the
        // background thread on every write.
        if group.count > 1 || !s.writers.isEmpty || s.closing || walFailed { lock.broadcast() }
        lock.unlock()
        if let failure { throw failure }
    }

    /// Applies a batch to the mutable memtable. REQUIRES: lock held.
    private func apply(_ batch: WriteBatch) {
        batch.rep.withUnsafeBytes { raw in
            // The batch was built by WriteBatch itself, so decoding cannot fail here.
            try? WriteBatch.forEach(encoded: raw, path: "", offset: 0) { key, value, version in
                s.mem.insert(key: key, value: value, version: version)
            }
        }
    }

    /// Makes sure the memtable has room: switches to a fresh memtable and log when it is full (or `force`d and
    /// not empty), waiting while the previous one is still being flushed or L0 has too many files.
    /// REQUIRES: lock held, caller is the write-queue leader.
    private func makeRoomForWrite(force: Bool) throws(StorageError) {
        var force = force
        var allowDelay = !force
        let compactionOn = options.backgroundCompaction
        while true {
            if let e = s.bgError { throw e }
            if let pause = s.noSpace { throw Self.pausedError(pause.retry.cause, "the disk is full") }
            // The background thread stops at close: nobody would end a stall.
            if s.closing { throw .closed("the engine is closing") }
            let l0 = s.tables.levels[0].count
            if compactionOn && allowDelay && l0 >= options.level0CompactionTrigger * 2 {
                // Slow writers down a little instead of stopping them dead later (LevelDB's slowdown).
                allowDelay = false
                lock.unlock()
                usleep(1000)
                lock.lock()
                continue
            }
            if !force && s.mem.approximateBytes < options.memtableSizeBytes { return }
            if force && s.mem.isEmpty { return }
            if s.imm != nil {
                if let retry = s.flushRetry {
                    throw Self.pausedError(retry.cause, "the memtable is full and cannot be flushed: the disk is full")
                }
                s.stats.writeStalls += 1
                lock.wait()
                continue
            }
            if compactionOn && l0 >= options.level0StopWritesTrigger {
                if let retry = s.compactionRetry {
                    throw Self.pausedError(retry.cause, "level 0 is full and compaction waits for space")
                }
                s.stats.writeStalls += 1
                lock.wait()
                continue
            }
            do {
                try switchMemtable()
            } catch {
                // A new log segment could not be made: no space pauses writes (the current log is intact),
                // anything else stops them; reported once either way.
                if let wal = s.wal { logWriteFailed(error, path: wal.path, goodSize: wal.size) }
                throw error
            }
            force = false
        }
    }

    /// Freezes the memtable, starts a new log segment and wakes the flush thread. REQUIRES: lock held.
    private func switchMemtable() throws(StorageError) {
        let number = s.levelState.nextFileNumber
        s.levelState.nextFileNumber += 1
        let path = directory + "/" + FileNames.log(number)
        let file = try fs.openWritable(path, truncate: true)
        if options.syncPolicy != .never { try fs.syncDirectory(directory) }
        if let old = s.wal {
            if options.syncPolicy != .never { try old.sync() }
            try old.close()
        }
        s.imm = FrozenMemtable(s.mem, logNumber: s.walNumber)
        s.mem = Memtable(expectedBytes: options.memtableSizeBytes)
        s.wal = LogWriter(file: file, path: path)
        s.walNumber = number
        s.memFirstLog = number
        immPending.store(true, ordering: .releasing)
        lock.broadcast()
    }

    // MARK: reads

    /// The newest cell of `key` (a value or a tombstone, with its version); nil if the key was never written
    /// (or its tombstone was purged after the grace period).
    public func get(_ key: [UInt8]) throws(StorageError) -> Cell? {
        guard case .found(let cell) = try lookup(key, cachedOnly: false) else { return nil }  // never .notCached
        return cell
    }

    /// `get` from memory only (memtables, filters, indexes and the block cache): `.notCached` when answering
    /// would read a data block from disk. Never blocks on I/O, so an event loop may call it (the node answers
    /// most reads this way and sends only the rest to its storage threads).
    public func getWithoutIO(_ key: [UInt8]) throws(StorageError) -> StorageLookup {
        try lookup(key, cachedOnly: true)
    }

    private func lookup(_ key: [UInt8], cachedOnly: Bool) throws(StorageError) -> StorageLookup {
        if key.isEmpty || key.count > Limits.maxKeySize {
            throw .invalidArgument("key is \(key.count) bytes; keys must be 1 to \(Limits.maxKeySize) bytes (64 KiB)")
        }
        lock.lock()
        if s.closed {
            lock.unlock()
            throw .closed("the engine is closed")
        }
        var best = s.mem.get(key)
        let imm = s.imm
        let tables = s.tables
        lock.unlock()
        if let imm, let c = imm.get(key), best == nil || c.version > best!.version { best = c }
        var notCached = false
        do {
            try tables.forEachCandidate(for: key) { t throws(StorageError) in
                if notCached { return }
                if let b = best, t.reader.properties.maxVersion <= b.version { return }
                switch try t.reader.lookup(key, cachedOnly: cachedOnly) {
                case .found(let c): if let c, best == nil || c.version > best!.version { best = c }
                case .notCached: notCached = true
                }
            }
        } catch {
            lock.withLock { noteReadCorruption(error) }
            throw error
        }
        return notCached ? .notCached : .found(best)
    }

    /// The keys in `[start, end)` (end nil: to the last key) in order, each with its newest cell, at most
    /// `limit` of them; tombstones are skipped unless `includeTombstones`.
    public func scan(
        from start: [UInt8], to end: [UInt8]?, limit: Int = .max, includeTombstones: Bool = false
    ) throws(StorageError) -> [(key: [UInt8], cell: Cell)] {
        var out: [(key: [UInt8], cell: Cell)] = []
        guard limit > 0 else { return out }
        try forEach(from: start, to: end, includeTombstones: includeTombstones) { key, cell in
            out.append((key, cell))
            return out.count < limit
        }
        return out
    }

    /// Streams the keys in `[start, end)` in order with their newest cells to `body` until it returns false.
    /// The scan sees a consistent snapshot of the memtables and tables taken when it starts.
    public func forEach(
        from start: [UInt8], to end: [UInt8]?, includeTombstones: Bool = false,
        _ body: (_ key: [UInt8], _ cell: Cell) -> Bool
    ) throws(StorageError) {
        lock.lock()
        if s.closed {
            lock.unlock()
            throw .closed("the engine is closed")
        }
        // Copying the memtable struct is O(1); the next write copies its arrays once (copy-on-write) if this
        // scan still holds them. That buys a consistent snapshot without copying entries here.
        let mem = FrozenMemtable(s.mem, logNumber: 0)
        let imm = s.imm
        let tables = s.tables
        lock.unlock()
        var children: [any StorageIterator] = [mem.makeIterator()]
        if let imm { children.append(imm.makeIterator()) }
        for t in tables.levels[0] { children.append(t.reader.makeIterator()) }
        for level in 1..<tables.levels.count where !tables.levels[level].isEmpty {
            children.append(LevelIterator(tables.levels[level]))
        }
        var it = MergingIterator(children)
        do {
            try it.seek(start)
            while it.isValid {
                let key = it.key
                if let end, !KeyComparison.less(key, end) { break }
                let cell = it.cell
                if includeTombstones || !cell.isTombstone {
                    if !body(key, cell) { break }
                }
                try it.next()
            }
        } catch {
            lock.withLock { noteReadCorruption(error) }
            throw error
        }
    }

    // MARK: maintenance

    /// Writes the memtable to an SSTable and waits until it is recorded in the manifest.
    public func flush() throws(StorageError) {
        try enqueue(batch: nil, sync: false, forceSwitch: true)
        lock.lock()
        defer { lock.unlock() }
        while s.imm != nil && s.bgError == nil && s.flushRetry == nil && !s.closing { lock.wait() }
        if let e = s.bgError { throw e }
        if let retry = s.flushRetry { throw Self.pausedError(retry.cause, "the flush waits for space") }
        if s.imm != nil { throw .closed("the engine closed before the flush finished") }
    }

    /// Flushes, then compacts every table into one sorted run (dropping overwritten versions and tombstones
    /// past their grace period), and waits for it.
    public func compactAll() throws(StorageError) {
        try flush()
        lock.lock()
        defer { lock.unlock() }
        s.manualCompactionsRequested += 1
        s.manualCompactionFailure = nil
        let target = s.manualCompactionsRequested
        lock.broadcast()
        while s.manualCompactionsDone < target && s.bgError == nil && !s.closing { lock.wait() }
        if let e = s.bgError { throw e }
        if let e = s.manualCompactionFailure { throw e }
        if s.manualCompactionsDone < target { throw .closed("the engine closed during compaction") }
    }

    /// Counters and sizes (see `StorageStats`).
    public func stats() -> StorageStats {
        lock.lock()
        var st = s.stats
        let tables = s.tables
        st.memtableBytes = s.mem.approximateBytes + (s.imm?.table.approximateBytes ?? 0)
        st.walBytes = s.wal?.size ?? 0
        var keys = s.mem.count + (s.imm?.table.count ?? 0)
        st.bytesWrittenToDisk += s.manifest?.bytesWritten ?? 0
        st.writesPausedForNoSpace = s.noSpace != nil || s.flushRetry != nil
        st.compactionsPausedForNoSpace = s.compactionRetry != nil
        lock.unlock()
        st.tablesPerLevel = tables.levels.map(\.count)
        st.bytesPerLevel = tables.levels.map { $0.reduce(0) { $0 + $1.meta.size } }
        for level in tables.levels { for t in level { keys += t.meta.entryCount } }
        st.liveKeyEstimate = keys
        st.diskBytes = st.bytesPerLevel.reduce(0, +) + st.walBytes
        st.blockCacheHits = cache?.hits ?? 0
        st.blockCacheMisses = cache?.misses ?? 0
        return st
    }

    /// Flushes and syncs the write-ahead log, stops the background threads and closes files. Idempotent.
    /// Writes after close throw `closed`.
    public func close() throws(StorageError) {
        lock.lock()
        if s.closed || s.closing {
            while !s.closed { lock.wait() }
            lock.unlock()
            return
        }
        s.closing = true
        closingFlag.store(true, ordering: .releasing)
        lock.broadcast()  // a leader stalled for room gives up; the background thread winds down
        while !s.writers.isEmpty { lock.wait() }
        var firstError: StorageError?
        if let wal = s.wal {
            do {
                try wal.sync()
            } catch {
                firstError = error
            }
            do { try wal.close() } catch { firstError = firstError ?? error }
        }
        s.wal = nil
        lock.broadcast()
        while s.backgroundRunning || s.periodicRunning { lock.wait() }
        if let manifest = s.manifest {
            do { try manifest.close() } catch { firstError = firstError ?? error }
        }
        s.manifest = nil
        s.closed = true
        s.imm = nil
        s.tables = .empty
        directoryLock?.unlock()
        lock.broadcast()
        lock.unlock()
        if let firstError { throw firstError }
    }
}

extension WriteBatch {
    /// An empty batch with room for `bytes` of encoding.
    init(reserving bytes: Int) {
        self.init()
        rep.reserveCapacity(bytes + 4)
    }
}
