/// A snapshot of an engine's counters (`StorageEngine.stats()`).
public struct StorageStats: Sendable, Equatable {
    /// Estimated number of distinct live keys (entries in tables and memtables; overcounts overwritten keys
    /// not yet compacted).
    public var liveKeyEstimate: Int = 0
    /// Bytes of live SSTables plus WAL segments.
    public var diskBytes: Int = 0
    /// Bytes held by the mutable and the immutable memtable.
    public var memtableBytes: Int = 0
    /// Bytes of the current WAL segment(s).
    public var walBytes: Int = 0
    /// Number of SSTables in each level (index 0 = L0).
    public var tablesPerLevel: [Int] = []
    /// Bytes of each level.
    public var bytesPerLevel: [Int] = []
    /// Key and value bytes written by callers.
    public var bytesWrittenByUser: Int = 0
    /// Bytes written to disk: WAL, SSTables from flushes and compactions, manifest.
    public var bytesWrittenToDisk: Int = 0
    /// Number of memtable flushes.
    public var flushes: Int = 0
    /// Number of compactions run.
    public var compactions: Int = 0
    /// Block cache hits and misses.
    public var blockCacheHits: Int = 0
    public var blockCacheMisses: Int = 0
    /// Number of WAL syncs (fdatasync) and of writes they covered (group commit ratio).
    public var walSyncs: Int = 0
    public var walWrites: Int = 0
    /// Times a writer waited for a flush or compaction to catch up.
    public var writeStalls: Int = 0
    /// WAL records (write batches) replayed when the engine opened: 0 after a clean stop, which flushes.
    public var walRecordsReplayed: Int = 0
    /// Tombstones dropped by compaction after their grace period.
    public var tombstonesPurged: Int = 0
    /// Storage errors met, by kind (each counted once, when it was reported through the event handler).
    public var noSpaceErrors: Int = 0
    public var ioErrors: Int = 0
    public var corruptionErrors: Int = 0
    /// Tables set aside in `quarantine/` (file names), since the database was created.
    public var quarantinedTables: [String] = []
    /// True while writes are refused because the disk is full (they resume by themselves when space returns).
    public var writesPausedForNoSpace: Bool = false
    /// True while compactions wait for free space (checked before each starts).
    public var compactionsPausedForNoSpace: Bool = false
    /// Times writes, flushes or compactions resumed after a no-space pause.
    public var resumes: Int = 0
    /// Log bytes dropped by recovery at the last open (torn tails, damage skipped by the WAL recovery mode).
    public var walBytesDropped: Int = 0

    /// bytesWrittenToDisk / bytesWrittenByUser (0 before any write).
    public var writeAmplification: Double {
        bytesWrittenByUser == 0 ? 0 : Double(bytesWrittenToDisk) / Double(bytesWrittenByUser)
    }

    public init() {}
}
