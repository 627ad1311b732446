/// The one error type of the storage layer (thrown with typed throws inside TesseraStorage).
///
/// `corruption` means bytes on disk failed a checksum or a format check: the data is never returned.
/// `ioError` is the operating system refusing an operation (the errno is kept, e.g. ENOSPC for a full disk).
public enum StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A checksum or format check failed in `file` at byte `offset`.
    case corruption(file: String, offset: Int, reason: String)
    /// A system call failed.
    case ioError(path: String, operation: String, errno: Int32)
    /// A file that should exist does not.
    case notFound(path: String)
    /// The caller passed something the engine does not accept (key or value too large, bad option).
    case invalidArgument(String)
    /// The engine was closed, or a previous fatal error (for example a failed WAL sync) stopped writes.
    case closed(String)

    public var description: String {
        switch self {
        case .corruption(let file, let offset, let reason):
            return "corruption in \(file) at offset \(offset): \(reason)"
        case .ioError(let path, let operation, let errno):
            return "I/O error: \(operation) \(path) failed with errno \(errno)\(errno == 28 ? " (disk full)" : "")"
        case .notFound(let path):
            return "not found: \(path)"
        case .invalidArgument(let message):
            return "invalid argument: \(message)"
        case .closed(let reason):
            return "storage closed: \(reason)"
        }
    }
}
