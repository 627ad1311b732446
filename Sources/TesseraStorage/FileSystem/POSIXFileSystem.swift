#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls: `write` for appends, `pread` for reads, `fdatasync` for syncs.
///
/// Thread-safety: the file system object is stateless and safe to share. A `WritableFile` has one owner;
/// a `RandomAccessFile` is safe to read from many threads (positioned reads share no file offset).
public final class POSIXFileSystem: FileSystem {
    public init() {}

    public func openWritable(_ path: String, truncate: Bool) throws(StorageError) -> any WritableFile {
        var flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC
        if truncate { flags |= O_TRUNC }
        let fd = open(path, flags, 0o644)
        if fd < 0 { throw .ioError(path: path, operation: "open for writing", errno: errno) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            _ = Glibc.close(fd)
            throw .ioError(path: path, operation: "fstat", errno: e)
        }
        return POSIXWritableFile(fd: fd, path: path, size: Int(st.st_size))
    }

    public func openRandomAccess(_ path: String) throws(StorageError) -> any RandomAccessFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT { throw .notFound(path: path) }
            throw .ioError(path: path, operation: "open for reading", errno: e)
        }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            _ = Glibc.close(fd)
            throw .ioError(path: path, operation: "fstat", errno: e)
        }
        return POSIXRandomAccessFile(fd: fd, path: path, size: Int(st.st_size))
    }

    public func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public func listDirectory(_ path: String) throws(StorageError) -> [String] {
        guard let dir = opendir(path) else {
            let e = errno
            if e == ENOENT { throw .notFound(path: path) }
            throw .ioError(path: path, operation: "opendir", errno: e)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<length]), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func createDirectory(_ path: String) throws(StorageError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 {
                let e = errno
                if e != EEXIST { throw .ioError(path: prefix, operation: "mkdir", errno: e) }
            }
            prefix += "/"
        }
    }

    public func removeFile(_ path: String) throws(StorageError) {
        if unlink(path) != 0 {
            let e = errno
            if e == ENOENT { throw .notFound(path: path) }
            throw .ioError(path: path, operation: "unlink", errno: e)
        }
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        if Glibc.rename(from, to) != 0 {
            throw .ioError(path: from, operation: "rename to \(to)", errno: errno)
        }
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw .ioError(path: path, operation: "open directory", errno: errno) }
        defer { _ = Glibc.close(fd) }
        if fsync(fd) != 0 { throw .ioError(path: path, operation: "fsync directory", errno: errno) }
    }

    public func fileSize(_ path: String) throws(StorageError) -> Int {
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            if e == ENOENT { throw .notFound(path: path) }
            throw .ioError(path: path, operation: "stat", errno: e)
        }
        return Int(st.st_size)
    }

    /// `flock(LOCK_EX | LOCK_NB)` on `path`: held until `unlock()` or until the process exits (even by SIGKILL).
    public func lockFile(_ path: String) throws(StorageError) -> FileLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .ioError(path: path, operation: "open", errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw .invalidArgument("\(path) is held by another process: the database is already open there")
            }
            throw .ioError(path: path, operation: "flock", errno: code)
        }
        return FileLock { _ = close(fd) }  // closing the descriptor releases the lock
    }

    public func availableBytes(_ path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) &* Int(info.f_frsize)
    }

    public func truncate(_ path: String, to size: Int) throws(StorageError) {
        if Glibc.truncate(path, off_t(size)) != 0 {
            throw .ioError(path: path, operation: "truncate to \(size)", errno: errno)
        }
    }
}

/// An append-only file descriptor. One owner (not Sendable).
final class POSIXWritableFile: WritableFile {
    private var fd: Int32
    private let path: String
    private(set) var size: Int

    init(fd: Int32, path: String, size: Int) {
        self.fd = fd
        self.path = path
        self.size = size
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        precondition(fd >= 0, "append after close: \(path)")
        guard var p = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = write(fd, p, remaining)
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw .ioError(path: path, operation: "write", errno: e)
            }
            p += n
            remaining -= n
            size += n
        }
    }

    func sync() throws(StorageError) {
        precondition(fd >= 0, "sync after close: \(path)")
        if fdatasync(fd) != 0 { throw .ioError(path: path, operation: "fdatasync", errno: errno) }
    }

    func close() throws(StorageError) {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        fd = -1
        if result != 0 { throw .ioError(path: path, operation: "close", errno: errno) }
    }
}

/// A read-only descriptor read with `pread`, shared between threads.
final class POSIXRandomAccessFile: RandomAccessFile {
    // The descriptor never changes after init; `pread` keeps no shared offset, so concurrent reads are safe.
    private let fd: Int32
    private let path: String
    let size: Int

    init(fd: Int32, path: String, size: Int) {
        self.fd = fd
        self.path = path
        self.size = size
    }

    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw .ioError(path: path, operation: "pread at \(offset + done)", errno: e)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func close() {
        _ = Glibc.close(fd)
    }
}
