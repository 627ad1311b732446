import Synchronization

/// The file operations the storage engine needs, so tests can inject faults (as LevelDB's Env).
///
/// Three implementations: `POSIXFileSystem` (pread/pwrite/fdatasync), `InMemoryFileSystem`, and
/// `FaultInjectingFileSystem`, which tracks what was synced and on a simulated crash drops the rest.
///
/// Paths are plain strings; directories are created with `createDirectory`. After creating, renaming or
/// removing a file, callers that need durability call `syncDirectory` on its parent.
public protocol FileSystem: AnyObject, Sendable {
    /// Opens `path` for appending, creating it; `truncate` empties an existing file first.
    func openWritable(_ path: String, truncate: Bool) throws(StorageError) -> any WritableFile
    /// Opens an existing file for positioned reads.
    func openRandomAccess(_ path: String) throws(StorageError) -> any RandomAccessFile
    /// True if a file or directory exists at `path`.
    func exists(_ path: String) -> Bool
    /// The names (not paths) of the entries of a directory.
    func listDirectory(_ path: String) throws(StorageError) -> [String]
    /// Creates a directory and its missing parents; succeeds if it already exists.
    func createDirectory(_ path: String) throws(StorageError)
    /// Removes a file.
    func removeFile(_ path: String) throws(StorageError)
    /// Atomically renames a file, replacing `to` if it exists.
    func rename(_ from: String, to: String) throws(StorageError)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(StorageError)
    /// The size of a file in bytes.
    func fileSize(_ path: String) throws(StorageError) -> Int
    /// Truncates a file to `size` bytes (used to cut a torn WAL tail).
    func truncate(_ path: String, to size: Int) throws(StorageError)
    /// Takes an exclusive lock on `path` (created if missing) so that only one process at a time opens a
    /// database directory; throws `invalidArgument` naming the path if another process holds it.
    func lockFile(_ path: String) throws(StorageError) -> FileLock
    /// Bytes a non-root writer may still write on the file system holding `path`, or nil if unknown.
    /// The engine checks it before a compaction and before resuming writes paused for a full disk.
    func availableBytes(_ path: String) -> Int?
}

extension FileSystem {
    /// Unknown by default: the engine then just tries, and treats ENOSPC as a soft error.
    public func availableBytes(_ path: String) -> Int? { nil }

    /// In-memory file systems live inside one process, where the engine's own lock already serialises access:
    /// their lock is a no-op (a simulated crash abandons an engine without closing it, and reopens).
    public func lockFile(_ path: String) throws(StorageError) -> FileLock { FileLock {} }
}

/// A held lock from `FileSystem.lockFile`; `unlock()` releases it (once; later calls do nothing).
public final class FileLock: Sendable {
    private let release: Mutex<(@Sendable () -> Void)?>

    public init(release: @escaping @Sendable () -> Void) {
        self.release = Mutex(release)
    }

    public func unlock() {
        let action = release.withLock { r in
            defer { r = nil }
            return r
        }
        action?()
    }

    deinit { unlock() }
}

/// An append-only file. Not thread-safe: one writer owns it.
public protocol WritableFile: AnyObject {
    /// Appends bytes at the end of the file (buffered by the OS until `sync`).
    func append(_ bytes: UnsafeRawBufferPointer) throws(StorageError)
    /// Makes everything appended so far durable (fdatasync).
    func sync() throws(StorageError)
    /// Closes the file; appends after close are a programmer error.
    func close() throws(StorageError)
    /// Bytes written so far (the file's current size).
    var size: Int { get }
}

extension WritableFile {
    /// Appends an array of bytes.
    @inlinable
    public func append(_ bytes: [UInt8]) throws(StorageError) {
        // withUnsafeBytes rethrows untyped; keep the typed error by capturing it.
        var failure: StorageError?
        bytes.withUnsafeBytes { raw in
            do throws(StorageError) { try self.append(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

/// A file read with positioned reads; safe to share between threads.
public protocol RandomAccessFile: AnyObject, Sendable {
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (fewer only at end of file).
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int
    /// The file's size when it was opened.
    var size: Int { get }
    /// Closes the file descriptor. Reads after close are a programmer error.
    func close()
}

extension RandomAccessFile {
    /// Reads exactly `count` bytes at `offset`; throws `corruption` if the file is shorter.
    public func read(at offset: Int, count: Int, path: String) throws(StorageError) -> [UInt8] {
        var failure: StorageError?
        var got = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(StorageError) {
                got = try self.read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
            initialized = failure == nil ? got : 0
        }
        if let failure { throw failure }
        guard got == count else {
            throw StorageError.corruption(file: path, offset: offset, reason: "short read: wanted \(count) bytes, file has \(got)")
        }
        return bytes
    }
}
