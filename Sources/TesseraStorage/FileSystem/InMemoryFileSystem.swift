import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file system held in memory, for fast tests. It also models durability the way a real disk does, so that
/// `FaultInjectingFileSystem` can simulate a crash on top of it:
///
/// - each file (an inode) remembers how many of its bytes were synced (`WritableFile.sync`);
/// - each directory entry (a creation, rename or removal) becomes durable only at `syncDirectory` of its parent.
///
/// Without a crash none of that is visible: reads see everything written. Thread-safe: one lock guards all state.
public final class InMemoryFileSystem: FileSystem {
    /// A file's bytes and how many of them are durable.
    // @unchecked Sendable: every access to `data` and `synced` happens under the owning file system's lock.
    final class Inode: @unchecked Sendable {
        var data: [UInt8]
        var synced: Int
        init(data: [UInt8] = [], synced: Int = 0) {
            self.data = data
            self.synced = synced
        }
    }

    struct State {
        /// The directory entries as the running system sees them.
        var files: [String: Inode] = [:]
        /// The directory entries that survive a crash (updated by `syncDirectory`).
        var durableFiles: [String: Inode] = [:]
        var directories: Set<String> = []
    }

    let state: Mutex<State>

    public init() {
        state = Mutex(State())
    }

    init(state: State) {
        self.state = Mutex(state)
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let p = String(path[..<slash])
        return p.isEmpty ? "/" : p
    }

    static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    public func openWritable(_ path: String, truncate: Bool) throws(StorageError) -> any WritableFile {
        let inode = state.withLock { s -> Inode in
            if let existing = s.files[path] {
                if truncate {
                    existing.data.removeAll()
                    existing.synced = 0
                }
                return existing
            }
            let inode = Inode()
            s.files[path] = inode
            return inode
        }
        return InMemoryWritableFile(fs: self, inode: inode, path: path)
    }

    public func openRandomAccess(_ path: String) throws(StorageError) -> any RandomAccessFile {
        guard let inode = state.withLock({ $0.files[path] }) else { throw .notFound(path: path) }
        let size = state.withLock { _ in inode.data.count }
        return InMemoryRandomAccessFile(fs: self, inode: inode, size: size)
    }

    public func exists(_ path: String) -> Bool {
        state.withLock { $0.files[path] != nil || $0.directories.contains(path) }
    }

    public func listDirectory(_ path: String) throws(StorageError) -> [String] {
        let result: [String]? = state.withLock { s in
            guard s.directories.contains(path) else { return nil }
            return s.files.keys.filter { Self.parent(of: $0) == path }.map { Self.name(of: $0) }
        }
        guard let result else { throw .notFound(path: path) }
        return result
    }

    public func createDirectory(_ path: String) throws(StorageError) {
        state.withLock { s in
            var p = path
            while !p.isEmpty && p != "/" && p != "." {
                s.directories.insert(p)
                p = Self.parent(of: p)
            }
        }
    }

    public func removeFile(_ path: String) throws(StorageError) {
        let removed = state.withLock { $0.files.removeValue(forKey: path) != nil }
        if !removed { throw .notFound(path: path) }
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        let moved = state.withLock { s -> Bool in
            guard let inode = s.files.removeValue(forKey: from) else { return false }
            s.files[to] = inode
            return true
        }
        if !moved { throw .ioError(path: from, operation: "rename to \(to)", errno: ENOENT) }
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        state.withLock { s in
            for key in s.durableFiles.keys where Self.parent(of: key) == path && s.files[key] == nil {
                s.durableFiles.removeValue(forKey: key)
            }
            for (key, inode) in s.files where Self.parent(of: key) == path {
                s.durableFiles[key] = inode
            }
        }
    }

    public func fileSize(_ path: String) throws(StorageError) -> Int {
        guard let size = state.withLock({ $0.files[path]?.data.count }) else { throw .notFound(path: path) }
        return size
    }

    public func truncate(_ path: String, to size: Int) throws(StorageError) {
        let ok = state.withLock { s -> Bool in
            guard let inode = s.files[path] else { return false }
            if size < inode.data.count {
                inode.data.removeSubrange(size...)
                inode.synced = min(inode.synced, size)
            } else {
                inode.data.append(contentsOf: [UInt8](repeating: 0, count: size - inode.data.count))
            }
            return true
        }
        if !ok { throw .notFound(path: path) }
    }

    /// Flips the bits of `mask` in the byte at `offset` of a file (a test helper for corruption tests).
    public func flipBits(_ path: String, at offset: Int, mask: UInt8 = 0x01) throws(StorageError) {
        let ok = state.withLock { s -> Bool in
            guard let inode = s.files[path], offset < inode.data.count else { return false }
            inode.data[offset] ^= mask
            return true
        }
        if !ok { throw .notFound(path: "\(path) (offset \(offset))") }
    }

    /// The state that survives a crash: durable entries, each file cut to its synced length, plus (if `tear`
    /// returns a count) that many of its unsynced bytes, as a torn write would leave them.
    func durableSnapshot(tear: (_ path: String, _ unsynced: Int) -> Int) -> State {
        state.withLock { s in
            var out = State()
            out.directories = s.directories
            var copies: [ObjectIdentifier: Inode] = [:]
            for (path, inode) in s.durableFiles.sorted(by: { $0.key < $1.key }) {
                if let copy = copies[ObjectIdentifier(inode)] {
                    out.files[path] = copy
                    continue
                }
                let unsynced = inode.data.count - inode.synced
                let kept = inode.synced + (unsynced > 0 ? min(unsynced, max(0, tear(path, unsynced))) : 0)
                let copy = Inode(data: Array(inode.data[..<kept]), synced: kept)
                copies[ObjectIdentifier(inode)] = copy
                out.files[path] = copy
            }
            out.durableFiles = out.files
            return out
        }
    }
}

/// An append handle on an in-memory file.
final class InMemoryWritableFile: WritableFile {
    private let fs: InMemoryFileSystem
    private let inode: InMemoryFileSystem.Inode
    private let path: String
    private var closed = false

    init(fs: InMemoryFileSystem, inode: InMemoryFileSystem.Inode, path: String) {
        self.fs = fs
        self.inode = inode
        self.path = path
    }

    var size: Int { fs.state.withLock { _ in inode.data.count } }

    func append(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        precondition(!closed, "append after close: \(path)")
        fs.state.withLock { _ in inode.data.append(contentsOf: bytes) }
    }

    func sync() throws(StorageError) {
        precondition(!closed, "sync after close: \(path)")
        fs.state.withLock { _ in inode.synced = inode.data.count }
    }

    func close() throws(StorageError) {
        closed = true
    }
}

/// A positioned-read handle on an in-memory file.
final class InMemoryRandomAccessFile: RandomAccessFile {
    // Safe to share: every access to the inode's bytes goes through the file system's lock.
    private let fs: InMemoryFileSystem
    private let inode: InMemoryFileSystem.Inode
    let size: Int

    init(fs: InMemoryFileSystem, inode: InMemoryFileSystem.Inode, size: Int) {
        self.fs = fs
        self.inode = inode
        self.size = size
    }

    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int {
        fs.state.withLock { _ -> Int in
            let end = min(inode.data.count, offset + buffer.count)
            guard offset < end else { return 0 }
            let n = end - offset
            inode.data.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
            }
            return n
        }
    }

    func close() {}
}
