/// Something the engine met that an operator must hear about: an error (with its file and cause), a table set
/// aside, records dropped by log recovery, writes paused or resumed. The engine has no logger: it hands each
/// event once to `StorageOptions.eventHandler` (the node forwards them to its log) and counts it in
/// `StorageStats`.
///
/// Severities follow RocksDB's error handler (docs/storage.md, "Error handling"):
/// - `soft`: the engine goes on degraded and recovers by itself (no space: writes resume when space returns).
/// - `hard`: writes are refused until the cause is fixed and the engine reopened (an I/O error on the log).
/// - `unrecoverable`: data was damaged; the affected table was quarantined, the rest goes on.
/// - `info`: not an error (writes resumed, a torn log tail cut after a crash).
public struct StorageEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// The disk is full (ENOSPC/EDQUOT): a soft error.
        case noSpace
        /// Any other failed system call.
        case ioError
        /// A checksum or format check failed.
        case corruption
        /// A damaged SSTable was moved to `quarantine/` and left out of reads and compactions.
        case tableQuarantined
        /// Log recovery dropped records or bytes (a torn tail, or damage skipped by the recovery mode).
        case walDataDropped
        /// Writes (or flushes, compactions) that were paused for lack of space run again.
        case resumed
    }

    public enum Severity: String, Sendable {
        case info, soft, hard, unrecoverable
    }

    /// What the engine was doing.
    public enum Operation: String, Sendable {
        case walWrite = "wal-write"
        case flush, compaction, read, recovery, manifest
    }

    public var kind: Kind
    public var severity: Severity
    public var operation: Operation
    /// The file concerned (a path), or the database directory.
    public var file: String
    /// What happened, its cause and what the engine does about it.
    public var message: String

    public init(kind: Kind, severity: Severity, operation: Operation, file: String, message: String) {
        self.kind = kind
        self.severity = severity
        self.operation = operation
        self.file = file
        self.message = message
    }

    public var description: String { "\(severity) \(kind) during \(operation.rawValue) in \(file): \(message)" }

    /// The kind of event a storage error is (no space, corruption, other I/O).
    static func kind(of error: StorageError) -> Kind {
        if error.isNoSpace { return .noSpace }
        if case .corruption = error { return .corruption }
        return .ioError
    }
}

/// How `StorageEngine.open` treats a damaged write-ahead log record, named after RocksDB's WAL recovery modes.
///
/// A torn tail (the last record cut short or garbled by a crash, with nothing valid after it) is dropped and
/// reported in every mode: RocksDB's `kTolerateCorruptedTailRecords`.
public enum WALRecoveryMode: String, Sendable, CaseIterable {
    /// Damage followed by more data refuses the open, naming the file and offset (the default).
    case strict
    /// Recovers everything before the first damage and drops the rest of that log and every later log
    /// (RocksDB's `kPointInTimeRecovery`): the state as of a moment in the past, with no holes.
    case pointInTime = "point-in-time"
    /// Recovers every intact record, skipping the damaged ones (RocksDB's `kSkipAnyCorruptedRecords`): the most
    /// data, but writes after a skipped one may be present without it.
    case skipCorrupted = "skip-corrupted"
}

extension StorageError {
    /// True for a full disk or an exhausted quota (a soft error: writes resume when space returns).
    public var isNoSpace: Bool {
        if case .ioError(_, _, let errno) = self { return errno == 28 || errno == 122 }  // ENOSPC, EDQUOT
        return false
    }
}
