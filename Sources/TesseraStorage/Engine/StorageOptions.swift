#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of a `StorageEngine`. Defaults follow LevelDB where the issue does not say otherwise.
public struct StorageOptions: Sendable {
    /// Where files live (`POSIXFileSystem()`; tests pass an in-memory or fault-injecting one).
    public var fileSystem: any FileSystem
    /// When the write-ahead log is synced (default: group commit, 100 µs window under concurrency).
    public var syncPolicy: SyncPolicy
    /// Memtable size that triggers a flush to an SSTable (default 4 MiB, as LevelDB).
    public var memtableSizeBytes: Int
    /// Capacity of the cache of decompressed blocks (default 8 MiB).
    public var blockCacheBytes: Int
    /// Target uncompressed size of an SSTable data block (default 4 KiB).
    public var blockSizeBytes: Int
    /// Bloom filter bits per key (default 10: about 1% false positives).
    public var bloomBitsPerKey: Int
    /// How long a tombstone is kept before compaction may drop it (default 10 days). It must exceed the
    /// hint window and the repair interval, or a late write could resurrect deleted data.
    public var tombstoneGracePeriodSeconds: UInt64
    /// Wall-clock milliseconds since the Unix epoch, compared with tombstone versions (tests inject a clock).
    public var wallClockMillis: @Sendable () -> UInt64
    /// Compress SSTable blocks with LZ4 (default true).
    public var compressBlocks: Bool
    /// Compaction geometry: number of L0 files that triggers a compaction (default 4).
    public var level0CompactionTrigger: Int
    /// Number of L0 files at which writers stall until compaction catches up (default 12).
    public var level0StopWritesTrigger: Int
    /// Size limit of level 1 (default 10 MiB); each deeper level is 10 times larger.
    public var levelOneMaxBytes: Int
    /// Target size of one compaction output file (default 2 MiB).
    public var targetFileSizeBytes: Int
    /// Run compactions in the background (default true; tests may disable to control shape).
    public var backgroundCompaction: Bool
    /// What `open` does with a damaged log record (default `.strict`: refuse, naming the file and offset).
    public var walRecoveryMode: WALRecoveryMode
    /// Receives every `StorageEvent` once (errors with file and cause, quarantined tables, dropped log data,
    /// resumes). Called on the engine's threads, possibly with its lock held: it must be quick and must not call
    /// back into the engine. Nil: events are only counted in `StorageStats`.
    public var eventHandler: (@Sendable (StorageEvent) -> Void)?
    /// After a no-space error, the first retry waits this long; each failed retry doubles it up to
    /// `noSpaceRetryMaxMillis` (default 100 ms to 5 s).
    public var noSpaceRetryMillis: Int
    public var noSpaceRetryMaxMillis: Int
    /// Writes paused for no space resume only when at least this much is free, where the file system can tell
    /// (default 1 MiB), so a node does not flap between paused and failing.
    public var resumeFreeBytes: Int

    public init() {
        fileSystem = POSIXFileSystem()
        syncPolicy = .group(windowMicros: 100)
        memtableSizeBytes = 4 << 20
        blockCacheBytes = 8 << 20
        blockSizeBytes = 4096
        bloomBitsPerKey = 10
        tombstoneGracePeriodSeconds = 10 * 24 * 3600
        wallClockMillis = {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
        }
        compressBlocks = true
        level0CompactionTrigger = 4
        level0StopWritesTrigger = 12
        levelOneMaxBytes = 10 << 20
        targetFileSizeBytes = 2 << 20
        backgroundCompaction = true
        walRecoveryMode = .strict
        eventHandler = nil
        noSpaceRetryMillis = 100
        noSpaceRetryMaxMillis = 5000
        resumeFreeBytes = 1 << 20
    }

    func validate() throws(StorageError) {
        if memtableSizeBytes < 4096 || memtableSizeBytes > 1 << 30 {
            throw .invalidArgument("memtableSizeBytes is \(memtableSizeBytes); it must be between 4 KiB and 1 GiB")
        }
        if blockSizeBytes < 256 || blockSizeBytes > 4 << 20 {
            throw .invalidArgument("blockSizeBytes is \(blockSizeBytes); it must be between 256 B and 4 MiB")
        }
        if blockCacheBytes < 0 { throw .invalidArgument("blockCacheBytes is negative") }
        if bloomBitsPerKey < 0 || bloomBitsPerKey > 64 {
            throw .invalidArgument("bloomBitsPerKey is \(bloomBitsPerKey); it must be between 0 and 64")
        }
        if level0CompactionTrigger < 1 || level0StopWritesTrigger <= level0CompactionTrigger {
            throw .invalidArgument("level0StopWritesTrigger must exceed level0CompactionTrigger (>= 1)")
        }
        if levelOneMaxBytes < 64 << 10 || targetFileSizeBytes < 16 << 10 {
            throw .invalidArgument("levelOneMaxBytes must be >= 64 KiB and targetFileSizeBytes >= 16 KiB")
        }
        if noSpaceRetryMillis < 1 || noSpaceRetryMaxMillis < noSpaceRetryMillis || resumeFreeBytes < 0 {
            throw .invalidArgument("noSpaceRetryMillis must be >= 1 and <= noSpaceRetryMaxMillis; resumeFreeBytes >= 0")
        }
        switch syncPolicy {
        case .always, .never: break
        case .group(let window):
            if window < 0 || window > 1_000_000 { throw .invalidArgument("group window must be 0...1_000_000 µs") }
        case .periodic(let millis):
            if millis < 1 { throw .invalidArgument("periodic sync interval must be >= 1 ms") }
        }
    }
}
