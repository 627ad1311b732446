import Foundation

extension StorageEngine {
    /// Starts the flush/compaction thread and, for `.periodic`, the log sync thread.
    func startBackgroundThreads() {
        lock.withLock {
            s.backgroundRunning = true
            if case .periodic = options.syncPolicy { s.periodicRunning = true }
        }
        let bg = Thread { [self] in backgroundLoop() }
        bg.name = "tessera-storage-bg"
        bg.start()
        if case .periodic(let millis) = options.syncPolicy {
            let t = Thread { [self] in periodicSyncLoop(millis: millis) }
            t.name = "tessera-storage-sync"
            t.start()
        }
    }

    /// One thread runs flushes (first) and compactions, like LevelDB's background thread; it also quarantines
    /// damaged tables and retries, with backoff, whatever a full disk paused.
    func backgroundLoop() {
        lock.lock()
        while true {
            if s.closing { break }
            if s.bgError == nil {
                let now = ContinuousClock.now
                if let (number, cause) = s.quarantineRequests.first {
                    quarantine(number, cause: cause, operation: .read)
                    continue
                }
                if let pause = s.noSpace, now >= pause.retry.due {
                    tryResumeWrites()
                    continue
                }
                if s.imm != nil && Self.isDue(s.flushRetry, now) {
                    flushImmutable()
                    continue
                }
                if s.manualCompactionsDone < s.manualCompactionsRequested && Self.isDue(s.compactionRetry, now) {
                    let goal = s.manualCompactionsRequested
                    runManualCompaction()
                    if let retry = s.compactionRetry {
                        s.manualCompactionFailure = Self.pausedError(retry.cause, "compaction waits for space")
                    }
                    if s.bgError == nil && !s.closing { s.manualCompactionsDone = goal }
                    lock.broadcast()
                    continue
                }
                if options.backgroundCompaction && Self.isDue(s.compactionRetry, now), let plan = pickCompaction() {
                    runCompaction(plan)
                    continue
                }
                if options.backgroundCompaction && s.compactionRetry != nil && Self.isDue(s.compactionRetry, now) {
                    // Nothing left to compact: the pause is over. (Without background compaction it lasts until
                    // a manual compaction succeeds.)
                    s.compactionRetry = nil
                }
            }
            if s.bgError == nil, let next = nextRetry {
                lock.wait(micros: Int(max(1000, (next - ContinuousClock.now) / .microseconds(1))))
            } else {
                lock.wait()
            }
        }
        s.backgroundRunning = false
        lock.broadcast()
        lock.unlock()
    }

    /// Syncs the log every `millis` ms if anything was written since the last sync.
    func periodicSyncLoop(millis: Int) {
        lock.lock()
        while !s.closing {
            lock.wait(micros: millis * 1000)
            if s.closing { break }
            if s.walDirty && s.bgError == nil {
                lock.unlock()
                try? enqueue(batch: nil, sync: true, forceSwitch: false)
                lock.lock()
            }
        }
        s.periodicRunning = false
        lock.broadcast()
        lock.unlock()
    }

    /// Allocates a file number. REQUIRES: lock held.
    func allocateFileNumber() -> UInt64 {
        let n = s.levelState.nextFileNumber
        s.levelState.nextFileNumber += 1
        return n
    }

    /// Records a stop-the-writes error and wakes everyone. REQUIRES: lock held.
    func setBackgroundError(_ e: StorageError) {
        if s.bgError == nil { s.bgError = e }
        lock.broadcast()
    }

    /// Writes the frozen memtable to an L0 table and records it (and the log it retires) in the manifest.
    /// REQUIRES: lock held; released while writing the table.
    func flushImmutable() {
        guard let imm = s.imm else { return }
        let number = allocateFileNumber()
        // Replay must start at the oldest segment the mutable memtable still needs.
        let liveLog = s.memFirstLog
        lock.unlock()
        var table: LiveTable?
        var failure: StorageError?
        var out: TableOutput?
        do {
            out = try TableOutput(fileSystem: fs, directory: directory, number: number, options: tableOptions)
            var it = imm.makeIterator()
            try it.seekToFirst()
            while it.isValid {
                try out!.add(it.key, it.cell)
                try it.next()
            }
            table = try out!.finish(fileSystem: fs, cache: cache)
            try fs.syncDirectory(directory)
        } catch {
            failure = error
            if table == nil { out?.abandon(fileSystem: fs) }
        }
        lock.lock()
        if let failure {
            if let table { try? fs.removeFile(table.reader.path) }
            if failure.isNoSpace {
                // Soft: the memtable stays frozen (its log keeps it durable) and the flush is retried.
                pauseForNoSpace(\.flushRetry, cause: failure, during: .flush,
                                action: "the flush is retried with backoff until space is free")
                return
            }
            report(failure, during: .flush, severity: .hard, action: "writes stop until the engine is reopened")
            setBackgroundError(failure)
            return
        }
        var edit = VersionEdit()
        edit.logNumber = liveLog
        if let table { edit.added.append((0, table.meta)) }
        edit.nextFileNumber = s.levelState.nextFileNumber
        do {
            try s.manifest!.log(edit)
            try s.levelState.apply(edit)
        } catch {
            report(error, during: .manifest, severity: .hard, action: "writes stop until the engine is reopened")
            setBackgroundError(error)
            return
        }
        s.tables = s.tables.applying(edit, opened: table.map { [number: $0] } ?? [:])
        s.imm = nil
        immPending.store(false, ordering: .releasing)
        s.stats.flushes += 1
        s.stats.bytesWrittenToDisk += table?.meta.size ?? 0
        endNoSpacePause(\.flushRetry, during: .flush, "the flush")
        // The retired logs are no longer needed; if a removal is lost in a crash, open deletes the file.
        try? fs.removeFile(directory + "/" + FileNames.log(imm.logNumber))
        for n in s.retiredLogs where n < liveLog { try? fs.removeFile(directory + "/" + FileNames.log(n)) }
        s.retiredLogs.removeAll { $0 < liveLog }
        lock.broadcast()
    }
}
