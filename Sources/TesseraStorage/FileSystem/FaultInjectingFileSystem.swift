import TesseraCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file system for crash and fault tests, as LevelDB's fault_injection_test / RocksDB's FaultInjectionTestFS.
///
/// It wraps an `InMemoryFileSystem`, which tracks per file how many bytes were synced and which directory
/// entries were made durable by `syncDirectory`. `crash()` returns the file system a machine would find after
/// a power cut at that moment: unsynced bytes dropped (optionally a random prefix of them kept, a torn write),
/// creations/renames/removals not followed by a directory sync rolled back. The crashed instance is dead
/// afterwards: every call on it or on a file opened through it fails with EIO, so an abandoned engine cannot
/// touch the new one's files.
///
/// Errors can be injected: `failAppendsAfter(bytes:)` makes appends fail with ENOSPC once that many more bytes
/// were written (a full disk; the part that fits is written, as `write(2)` would), `failSyncs` makes syncs fail
/// with EIO; `setSyncLatency(micros:)` makes syncs slow, like a real disk.
public final class FaultInjectingFileSystem: FileSystem {
    struct Faults {
        var dead = false
        var appendBudget: Int?
        var failSyncs = false
        var syncLatencyMicros = 0
        var bytesAppended = 0
        var syncs = 0
        var writeEvents = 0
        /// Crash automatically (turn dead) when `writeEvents` reaches this count.
        var crashAtEvent: Int?
    }

    /// The wrapped file system that holds the bytes.
    public let base: InMemoryFileSystem
    let faults = Mutex(Faults())

    /// Wraps `base` (a fresh in-memory file system by default).
    public init(base: InMemoryFileSystem = InMemoryFileSystem()) {
        self.base = base
    }

    // MARK: fault control

    /// Appends fail with ENOSPC after `bytes` more bytes have been written (nil: never).
    public func failAppendsAfter(bytes: Int?) {
        faults.withLock { $0.appendBudget = bytes }
    }

    /// Syncs (file and directory) fail with EIO while this is true.
    public func setFailSyncs(_ fail: Bool) {
        faults.withLock { $0.failSyncs = fail }
    }

    /// Makes every file sync take this long (a slow disk), so tests can observe group commit.
    public func setSyncLatency(micros: Int) {
        faults.withLock { $0.syncLatencyMicros = micros }
    }

    /// Freezes the file system (every later mutation fails with EIO) when the `count`-th mutating operation
    /// (append, sync, create, rename, remove, truncate, directory sync) from now is attempted. Together with
    /// `crash()` this simulates a power cut at an exact point of a flush, compaction or manifest update.
    public func freezeAfter(operations count: Int) {
        faults.withLock {
            $0.crashAtEvent = $0.writeEvents + count
        }
    }

    /// Total bytes appended through this file system.
    public var bytesAppended: Int { faults.withLock { $0.bytesAppended } }
    /// Number of successful file and directory syncs.
    public var syncCount: Int { faults.withLock { $0.syncs } }
    /// Number of mutating operations attempted so far.
    public var operationCount: Int { faults.withLock { $0.writeEvents } }
    /// True once frozen or crashed.
    public var isDead: Bool { faults.withLock { $0.dead } }

    /// Simulates a power cut now. Returns the file system as it would be found after a reboot; this instance
    /// and everything opened through it fail from now on. `tornWriteSeed`, if given, keeps a pseudo-random
    /// prefix of each file's unsynced bytes (a torn write) instead of dropping all of them.
    public func crash(tornWriteSeed: UInt64? = nil) -> FaultInjectingFileSystem {
        faults.withLock { $0.dead = true }
        var rng = tornWriteSeed.map { SplitMix64(seed: $0) }
        let survived = base.durableSnapshot { _, unsynced in
            guard rng != nil else { return 0 }
            return Int(rng!.next() % UInt64(unsynced + 1))
        }
        return FaultInjectingFileSystem(base: InMemoryFileSystem(state: survived))
    }

    /// Throws EIO if dead; counts a mutating event and freezes when the scheduled point is reached.
    func checkMutation(_ path: String, _ operation: String) throws(StorageError) {
        let dead = faults.withLock { f -> Bool in
            if f.dead { return true }
            f.writeEvents += 1
            if let at = f.crashAtEvent, f.writeEvents >= at {
                f.dead = true
                return true
            }
            return false
        }
        if dead { throw .ioError(path: path, operation: operation + " (simulated crash)", errno: EIO) }
    }

    func checkAlive(_ path: String, _ operation: String) throws(StorageError) {
        if faults.withLock({ $0.dead }) {
            throw .ioError(path: path, operation: operation + " (simulated crash)", errno: EIO)
        }
    }

    // MARK: FileSystem

    public func openWritable(_ path: String, truncate: Bool) throws(StorageError) -> any WritableFile {
        try checkMutation(path, "open for writing")
        let inner = try base.openWritable(path, truncate: truncate)
        return FaultInjectingWritableFile(fs: self, inner: inner, path: path)
    }

    public func openRandomAccess(_ path: String) throws(StorageError) -> any RandomAccessFile {
        try checkAlive(path, "open for reading")
        return FaultInjectingRandomAccessFile(fs: self, inner: try base.openRandomAccess(path), path: path)
    }

    public func exists(_ path: String) -> Bool { base.exists(path) }

    public func listDirectory(_ path: String) throws(StorageError) -> [String] {
        try checkAlive(path, "list")
        return try base.listDirectory(path)
    }

    public func createDirectory(_ path: String) throws(StorageError) {
        try checkAlive(path, "mkdir")
        try base.createDirectory(path)
    }

    public func removeFile(_ path: String) throws(StorageError) {
        try checkMutation(path, "unlink")
        try base.removeFile(path)
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        try checkMutation(from, "rename")
        try base.rename(from, to: to)
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        try checkMutation(path, "fsync directory")
        if faults.withLock({ $0.failSyncs }) { throw .ioError(path: path, operation: "fsync directory", errno: EIO) }
        try base.syncDirectory(path)
        faults.withLock { $0.syncs += 1 }
    }

    public func fileSize(_ path: String) throws(StorageError) -> Int {
        try checkAlive(path, "stat")
        return try base.fileSize(path)
    }

    /// The remaining append budget of `failAppendsAfter` (nil when no disk-full fault is set).
    public func availableBytes(_ path: String) -> Int? {
        faults.withLock { $0.appendBudget }
    }

    public func truncate(_ path: String, to size: Int) throws(StorageError) {
        try checkMutation(path, "truncate")
        try base.truncate(path, to: size)
    }
}

/// Appends through the fault layer: counts bytes, applies the disk-full budget, dies with the file system.
final class FaultInjectingWritableFile: WritableFile {
    private let fs: FaultInjectingFileSystem
    private let inner: any WritableFile
    private let path: String

    init(fs: FaultInjectingFileSystem, inner: any WritableFile, path: String) {
        self.fs = fs
        self.inner = inner
        self.path = path
    }

    var size: Int { inner.size }

    func append(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        try fs.checkMutation(path, "write")
        let allowed = fs.faults.withLock { f -> Int in
            let n = f.appendBudget.map { min($0, bytes.count) } ?? bytes.count
            if let budget = f.appendBudget { f.appendBudget = budget - n }
            f.bytesAppended += n
            return n
        }
        if allowed > 0 { try inner.append(UnsafeRawBufferPointer(rebasing: bytes[0..<allowed])) }
        if allowed < bytes.count { throw .ioError(path: path, operation: "write", errno: ENOSPC) }
    }

    func sync() throws(StorageError) {
        try fs.checkMutation(path, "fdatasync")
        let (fail, latency) = fs.faults.withLock { ($0.failSyncs, $0.syncLatencyMicros) }
        if fail { throw .ioError(path: path, operation: "fdatasync", errno: EIO) }
        if latency > 0 { usleep(UInt32(latency)) }
        try inner.sync()
        fs.faults.withLock { $0.syncs += 1 }
    }

    func close() throws(StorageError) {
        try inner.close()
    }
}

/// Reads through the fault layer: fail once the file system is dead.
final class FaultInjectingRandomAccessFile: RandomAccessFile {
    private let fs: FaultInjectingFileSystem
    private let inner: any RandomAccessFile
    private let path: String

    init(fs: FaultInjectingFileSystem, inner: any RandomAccessFile, path: String) {
        self.fs = fs
        self.inner = inner
        self.path = path
    }

    var size: Int { inner.size }

    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int {
        try fs.checkAlive(path, "pread")
        return try inner.read(at: offset, into: buffer)
    }

    func close() { inner.close() }
}

