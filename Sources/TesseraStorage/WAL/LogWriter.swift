/// Writes framed records (`LogFormat`) to one log file: a WAL segment or a manifest.
///
/// Records are buffered in user space by `add` and reach the file with one `write` per `flush` (so a group
/// commit of many records costs one system call); `sync` flushes and then makes the file durable.
/// Not thread-safe: one owner (the WAL's group-commit leader, or the manifest writer under the engine lock).
final class LogWriter {
    let path: String
    let file: any WritableFile
    private var buffer: [UInt8] = []

    init(file: any WritableFile, path: String) {
        self.file = file
        self.path = path
        buffer.reserveCapacity(64 * 1024)
    }

    /// Bytes in the file plus bytes still buffered.
    var size: Int { file.size + buffer.count }

    /// Buffers one record.
    func add(_ payload: UnsafeRawBufferPointer) {
        LogFormat.appendRecord(payload, to: &buffer)
    }

    /// Buffers one record.
    func add(_ payload: [UInt8]) {
        LogFormat.appendRecord(payload, to: &buffer)
    }

    /// Writes the buffered records with one append.
    func flush() throws(StorageError) {
        guard !buffer.isEmpty else { return }
        defer {
            // Keep a moderately sized buffer for reuse; drop a huge one (a batch of big values).
            if buffer.capacity > 4 << 20 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
        }
        try file.append(buffer)
    }

    /// Flushes and makes everything durable.
    func sync() throws(StorageError) {
        try flush()
        try file.sync()
    }

    /// Flushes and closes the file (no sync).
    func close() throws(StorageError) {
        try flush()
        try file.close()
    }
}
