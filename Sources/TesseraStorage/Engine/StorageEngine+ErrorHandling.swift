#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A retry with exponential backoff after a no-space error (RocksDB's auto-resume polling).
struct RetryBackoff {
    /// The error that started the pause (thrown to writers while it lasts).
    var cause: StorageError
    var due: ContinuousClock.Instant
    var delayMillis: Int

    init(cause: StorageError, options: StorageOptions, now: ContinuousClock.Instant) {
        self.cause = cause
        delayMillis = options.noSpaceRetryMillis
        due = now + .milliseconds(delayMillis)
    }

    /// Schedules the next attempt after another failure.
    mutating func failedAgain(options: StorageOptions, now: ContinuousClock.Instant) {
        delayMillis = min(delayMillis * 2, options.noSpaceRetryMaxMillis)
        due = now + .milliseconds(delayMillis)
    }
}

/// Writes paused because a log write or sync failed with ENOSPC. The log's last group may be partly on disk:
/// it is cut back to `goodSize` (everything before the failed group) before writes resume on a fresh segment.
struct NoSpacePause {
    var retry: RetryBackoff
    var brokenLogPath: String
    var goodSize: Int
}

extension StorageEngine {
    /// Name of the folder (inside the database directory) that holds quarantined tables.
    static let quarantineFolder = "quarantine"

    var quarantineDirectory: String { directory + "/" + Self.quarantineFolder }

    /// Counts an event and hands it to the event handler. REQUIRES: lock held (or the engine not yet shared).
    func report(_ event: StorageEvent) {
        switch event.kind {
        case .noSpace: s.stats.noSpaceErrors += 1
        case .ioError: s.stats.ioErrors += 1
        case .corruption: s.stats.corruptionErrors += 1
        case .resumed: s.stats.resumes += 1
        case .tableQuarantined, .walDataDropped: break
        }
        options.eventHandler?(event)
    }

    /// Reports a storage error met by `operation`, classified as RocksDB's error handler does.
    func report(_ error: StorageError, during operation: StorageEvent.Operation, severity: StorageEvent.Severity,
                action: String) {
        report(
            StorageEvent(
                kind: StorageEvent.kind(of: error), severity: severity, operation: operation,
                file: Self.file(of: error) ?? directory, message: "\(error); \(action)"))
    }

    static func file(of error: StorageError) -> String? {
        switch error {
        case .corruption(let file, _, _): return file
        case .ioError(let path, _, _), .notFound(let path): return path
        case .invalidArgument, .closed: return nil
        }
    }

    /// The error writers get while a no-space pause lasts: the original ENOSPC, saying writes are paused.
    static func pausedError(_ cause: StorageError, _ what: String) -> StorageError {
        if case .ioError(let path, let operation, let errno) = cause {
            return .ioError(path: path, operation: "\(operation) (\(what); writes resume by themselves when space is freed)", errno: errno)
        }
        return cause
    }

    // MARK: no space

    /// A log write or sync failed: ENOSPC pauses writes (soft), anything else stops them until a reopen (hard).
    /// REQUIRES: lock held.
    func logWriteFailed(_ failure: StorageError, path: String, goodSize: Int) {
        if failure.isNoSpace {
            guard s.noSpace == nil else { return }
            if var trial = s.resumeTrial {
                // The first write after a resume failed too: the same episode, not a new error to report.
                trial.retry.failedAgain(options: options, now: .now)
                s.noSpace = NoSpacePause(retry: trial.retry, brokenLogPath: path, goodSize: goodSize)
                s.resumeTrial = nil
            } else {
                s.noSpace = NoSpacePause(
                    retry: RetryBackoff(cause: failure, options: options, now: .now), brokenLogPath: path,
                    goodSize: goodSize)
                report(failure, during: .walWrite, severity: .soft,
                       action: "writes are paused and resume by themselves once space is free")
            }
        } else if s.bgError == nil {
            report(failure, during: .walWrite, severity: .hard,
                   action: "the log's state on disk is unknown: writes are refused until the engine is reopened")
            s.bgError = failure
        }
        lock.broadcast()
    }

    /// Tries to end a no-space pause: enough room, the broken log cut back to its last good group, a fresh log
    /// segment. On failure the pause goes on with a longer backoff. REQUIRES: lock held, background thread.
    func tryResumeWrites() {
        guard var pause = s.noSpace else { return }
        let now = ContinuousClock.now
        if let free = fs.availableBytes(directory), free < options.resumeFreeBytes {
            pause.retry.failedAgain(options: options, now: now)
            s.noSpace = pause
            return
        }
        do throws(StorageError) {
            if let old = s.wal { try? old.file.close() }
            s.wal = nil
            try fs.truncate(pause.brokenLogPath, to: pause.goodSize)
            let number = allocateFileNumber()
            let path = directory + "/" + FileNames.log(number)
            let file = try fs.openWritable(path, truncate: true)
            try fs.syncDirectory(directory)
            // The memtable now spans the old segment and this one: replay reads both; the old one is removed
            // after the next flush.
            s.retiredLogs.append(s.walNumber)
            s.wal = LogWriter(file: file, path: path)
            s.walNumber = number
        } catch {
            pause.retry.failedAgain(options: options, now: now)
            s.noSpace = pause
            return
        }
        s.noSpace = nil
        // Reported as resumed once a write gets through (`writeSucceededAfterResume`).
        s.resumeTrial = pause
        lock.broadcast()
    }

    /// The first write after a resume went through: the no-space episode is over. REQUIRES: lock held.
    func writeSucceededAfterResume() {
        guard let pause = s.resumeTrial else { return }
        s.resumeTrial = nil
        report(
            StorageEvent(
                kind: .resumed, severity: .info, operation: .walWrite, file: pause.brokenLogPath,
                message: "space is available again: writes resumed on a new log segment "
                    + "(\(pause.brokenLogPath) was cut back to its last good record at \(pause.goodSize) bytes)"))
    }

    /// A flush or compaction met no space: starts its pause (reported once) or backs off further.
    /// REQUIRES: lock held.
    func pauseForNoSpace(
        _ slot: WritableKeyPath<State, RetryBackoff?>, cause: StorageError, during operation: StorageEvent.Operation,
        action: String
    ) {
        if s[keyPath: slot] == nil {
            s[keyPath: slot] = RetryBackoff(cause: cause, options: options, now: .now)
            report(cause, during: operation, severity: .soft, action: action)
        } else {
            s[keyPath: slot]!.failedAgain(options: options, now: .now)
        }
        lock.broadcast()
    }

    /// A flush or compaction succeeded: ends its no-space pause, if any, and reports it. REQUIRES: lock held.
    func endNoSpacePause(_ slot: WritableKeyPath<State, RetryBackoff?>, during operation: StorageEvent.Operation,
                         _ what: String) {
        guard let retry = s[keyPath: slot] else { return }
        s[keyPath: slot] = nil
        report(
            StorageEvent(
                kind: .resumed, severity: .info, operation: operation, file: directory,
                message: "space is available again: \(what) paused by \(retry.cause) ran"))
    }

    /// The earliest moment a paused operation should be retried, if any. REQUIRES: lock held.
    var nextRetry: ContinuousClock.Instant? {
        [s.noSpace?.retry.due, s.flushRetry?.due, s.compactionRetry?.due].compactMap { $0 }.min()
    }

    /// True if a no-space pause `retry` allows another attempt now.
    static func isDue(_ retry: RetryBackoff?, _ now: ContinuousClock.Instant) -> Bool {
        retry.map { now >= $0.due } ?? true
    }

    /// Free space check before a compaction: its outputs can be as large as its inputs.
    /// Returns the shortfall message, or nil if there is room (or the file system cannot tell).
    func compactionLacksRoom(_ plan: CompactionPlan) -> String? {
        guard let free = fs.availableBytes(directory) else { return nil }
        let needed = plan.allInputs.reduce(0) { $0 + $1.size } + (64 << 10)
        return free < needed ? "needs up to \(needed) bytes, \(free) free" : nil
    }

    // MARK: quarantine

    /// Notes a corruption met by a read; the table it names is quarantined by the background thread.
    /// REQUIRES: lock held.
    func noteReadCorruption(_ error: StorageError) {
        guard case .corruption(let file, _, _) = error, let number = tableNumber(file) else { return }
        guard s.quarantineRequests[number] == nil, s.levelState.liveNumbers.contains(number) else { return }
        s.quarantineRequests[number] = error
        report(error, during: .read, severity: .unrecoverable,
               action: "the table is being quarantined; the value must come from other replicas")
        lock.broadcast()
    }

    /// The number of a table file of this database, from its path.
    func tableNumber(_ path: String) -> UInt64? {
        guard path.hasPrefix(directory + "/"), case .table(let n) = FileNames.parse(String(path.dropFirst(directory.count + 1)))
        else { return nil }
        return n
    }

    /// Moves a damaged live table to `quarantine/` and removes it from the manifest, so reads and compactions
    /// go on without it. The move comes first: a crash in between leaves a manifest naming a table that is in
    /// quarantine, which `open` accepts. REQUIRES: lock held, background thread.
    func quarantine(_ number: UInt64, cause: StorageError, operation: StorageEvent.Operation) {
        s.quarantineRequests[number] = nil
        guard let level = s.levelState.levels.firstIndex(where: { $0.contains { $0.number == number } }) else { return }
        let name = FileNames.table(number)
        do throws(StorageError) {
            try fs.createDirectory(quarantineDirectory)
            try fs.rename(directory + "/" + name, to: quarantineDirectory + "/" + name)
            try fs.syncDirectory(quarantineDirectory)
            try fs.syncDirectory(directory)
            var edit = VersionEdit()
            edit.removed.append((level, number))
            edit.nextFileNumber = s.levelState.nextFileNumber
            try s.manifest!.log(edit)
            try s.levelState.apply(edit)
            s.tables = s.tables.applying(edit, opened: [:])
        } catch {
            report(error, during: .manifest, severity: .hard, action: "quarantining \(name) failed: writes stop")
            setBackgroundError(error)
            return
        }
        cache?.erase(fileNumber: number)
        s.stats.quarantinedTables.append(name)
        report(
            StorageEvent(
                kind: .tableQuarantined, severity: .unrecoverable, operation: operation,
                file: quarantineDirectory + "/" + name,
                message: "table \(name) (L\(level)) was moved to \(Self.quarantineFolder)/ after \(cause); its keys "
                    + "are served by the other replicas until repaired (docs/storage.md, \"Rebuilding\")"))
        lock.broadcast()
    }
}
