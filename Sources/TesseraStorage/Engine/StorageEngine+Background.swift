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

    /// One thread runs flushes (first) and compactions, like LevelDB's background thread.
    func backgroundLoop() {
        lock.lock()
        while true {
            if s.closing { break }
            if s.bgError == nil {
                if s.imm != nil {
                    flushImmutable()
                    continue
                }
                if s.manualCompactionsDone < s.manualCompactionsRequested {
                    let goal = s.manualCompactionsRequested
                    runManualCompaction()
                    if s.bgError == nil && !s.closing { s.manualCompactionsDone = goal }
                    lock.broadcast()
                    continue
                }
                if options.backgroundCompaction, let plan = pickCompaction() {
                    runCompaction(plan)
                    continue
                }
            }
            lock.wait()
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
        let liveLog = s.walNumber
        lock.unlock()
        var table: LiveTable?
        var failure: StorageError?
        do {
            var out = try TableOutput(fileSystem: fs, directory: directory, number: number, options: tableOptions)
            var it = imm.makeIterator()
            try it.seekToFirst()
            while it.isValid {
                try out.add(it.key, it.cell)
                try it.next()
            }
            table = try out.finish(fileSystem: fs, cache: cache)
            try fs.syncDirectory(directory)
        } catch {
            failure = error
        }
        lock.lock()
        if let failure {
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
            setBackgroundError(error)
            return
        }
        s.tables = s.tables.applying(edit, opened: table.map { [number: $0] } ?? [:])
        s.imm = nil
        immPending.store(false, ordering: .releasing)
        s.stats.flushes += 1
        s.stats.bytesWrittenToDisk += table?.meta.size ?? 0
        // The retired log is no longer needed; if this removal is lost in a crash, open deletes it.
        try? fs.removeFile(directory + "/" + FileNames.log(imm.logNumber))
        lock.broadcast()
    }
}
