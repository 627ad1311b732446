import TesseraCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension StorageEngine {
    var picker: CompactionPicker {
        CompactionPicker(level0Trigger: options.level0CompactionTrigger, levelOneMaxBytes: options.levelOneMaxBytes)
    }

    /// REQUIRES: lock held.
    func pickCompaction() -> CompactionPlan? {
        picker.pick(s.levelState, compactPointers: s.compactPointers)
    }

    /// REQUIRES: lock held.
    func runManualCompaction() {
        guard let plan = picker.pickAll(s.levelState) else { return }
        runCompaction(plan)
    }

    /// Runs one compaction: merges the inputs without the lock (keeping the newest cell of each key and
    /// dropping expired tombstones that shadow nothing), writes outputs split at the target file size, then
    /// records "inputs removed, outputs added" as one manifest edit and deletes the inputs.
    /// REQUIRES: lock held (released while merging).
    func runCompaction(_ plan: CompactionPlan) {
        if !plan.isTrivialMove, let shortfall = compactionLacksRoom(plan) {
            deferCompaction(.ioError(path: directory, operation: "compaction: \(shortfall)", errno: ENOSPC))
            return
        }
        if plan.isTrivialMove {
            var edit = VersionEdit()
            let f = plan.inputs[0]
            edit.removed.append((plan.level, f.number))
            edit.added.append((plan.outputLevel, f))
            do {
                try s.manifest!.log(edit)
                try s.levelState.apply(edit)
            } catch {
                report(error, during: .manifest, severity: .hard, action: "writes stop until the engine is reopened")
                setBackgroundError(error)
                return
            }
            let moved = s.tables.levels[plan.level].first { $0.meta.number == f.number }
            s.tables = s.tables.applying(edit, opened: moved.map { [f.number: $0] } ?? [:])
            s.compactPointers[plan.level] = f.largest
            s.stats.compactions += 1
            return
        }
        let inputNumbers = Set(plan.allInputs.map(\.number))
        var byNumber: [UInt64: LiveTable] = [:]
        for level in s.tables.levels { for t in level where inputNumbers.contains(t.meta.number) { byNumber[t.meta.number] = t } }
        let nowMillis = options.wallClockMillis()
        let graceMillis = options.tombstoneGracePeriodSeconds &* 1000
        lock.unlock()

        // Children: L0 tables (which overlap) and every table of a full compaction one by one; a sorted
        // level as one LevelIterator.
        var children: [any StorageIterator] = []
        func tables(_ files: [FileMetadata]) -> [LiveTable] { files.compactMap { byNumber[$0.number] } }
        if plan.isFull || plan.level == 0 {
            for t in tables(plan.inputs) { children.append(t.reader.makeIterator(fillCache: false)) }
        } else {
            children.append(LevelIterator(tables(plan.inputs)))
        }
        if !plan.nextInputs.isEmpty { children.append(LevelIterator(tables(plan.nextInputs))) }

        var outputs: [LiveTable] = []
        var current: TableOutput?
        var failure: StorageError?
        var purged = 0
        var bytesOut = 0
        do throws(StorageError) {
            var it = MergingIterator(children)
            try it.seekToFirst()
            var n = 0
            while it.isValid {
                n += 1
                if n & 255 == 0 {
                    if closingFlag.load(ordering: .acquiring) { throw .closed("closing") }
                    if immPending.load(ordering: .acquiring) {
                        // A full memtable must not wait for a long compaction: flush it now.
                        lock.lock()
                        if s.imm != nil && s.bgError == nil && Self.isDue(s.flushRetry, .now) { flushImmutable() }
                        let err = s.bgError
                        lock.unlock()
                        if let err { throw err }
                    }
                }
                let key = it.key
                let cell = it.cell
                if cell.isTombstone,
                   nowMillis >= cell.version.timestamp.physicalMillis,
                   nowMillis - cell.version.timestamp.physicalMillis >= graceMillis,
                   !otherSourcesMayContain(key, excluding: inputNumbers)
                {
                    purged += 1
                } else {
                    if current == nil {
                        let number = lock.withLock { allocateFileNumber() }
                        current = try TableOutput(fileSystem: fs, directory: directory, number: number, options: tableOptions)
                    }
                    try current!.add(key, cell)
                    if current!.estimatedFileSize >= options.targetFileSizeBytes {
                        if let t = try current!.finish(fileSystem: fs, cache: cache) { outputs.append(t) }
                        current = nil
                    }
                }
                try it.next()
            }
            if current != nil {
                if let t = try current!.finish(fileSystem: fs, cache: cache) { outputs.append(t) }
                current = nil
            }
            try fs.syncDirectory(directory)
        } catch {
            failure = error
        }
        if let failure {
            current?.abandon(fileSystem: fs)
            for t in outputs { try? fs.removeFile(t.reader.path) }
            lock.lock()
            if case .closed = failure, closingFlag.load(ordering: .acquiring) { return }
            if failure.isNoSpace {
                deferCompaction(failure)
                return
            }
            if case .corruption(let file, _, _) = failure, let number = tableNumber(file), inputNumbers.contains(number) {
                // A damaged input: set it aside and go on (the next pick no longer includes it).
                report(failure, during: .compaction, severity: .unrecoverable, action: "the table is quarantined")
                quarantine(number, cause: failure, operation: .compaction)
                return
            }
            report(failure, during: .compaction, severity: .hard, action: "writes stop until the engine is reopened")
            setBackgroundError(failure)
            return
        }
        for t in outputs { bytesOut += t.meta.size }

        lock.lock()
        var edit = VersionEdit()
        for f in plan.inputs { edit.removed.append((plan.isFull ? levelOf(f.number) : plan.level, f.number)) }
        for f in plan.nextInputs { edit.removed.append((plan.outputLevel, f.number)) }
        var opened: [UInt64: LiveTable] = [:]
        for t in outputs {
            edit.added.append((plan.outputLevel, t.meta))
            opened[t.meta.number] = t
        }
        edit.nextFileNumber = s.levelState.nextFileNumber
        do {
            try s.manifest!.log(edit)
            try s.levelState.apply(edit)
        } catch {
            report(error, during: .manifest, severity: .hard, action: "writes stop until the engine is reopened")
            setBackgroundError(error)
            return
        }
        s.tables = s.tables.applying(edit, opened: opened)
        endNoSpacePause(\.compactionRetry, during: .compaction, "the compaction")
        if plan.level > 0, let last = plan.inputs.last { s.compactPointers[plan.level] = last.largest }
        s.stats.compactions += 1
        s.stats.bytesWrittenToDisk += bytesOut
        s.stats.tombstonesPurged += purged
        for number in inputNumbers {
            try? fs.removeFile(directory + "/" + FileNames.table(number))
            cache?.erase(fileNumber: number)
        }
        lock.broadcast()
    }

    /// A compaction cannot run for lack of space (found before it started, or ENOSPC midway): a soft error,
    /// retried with backoff; writes go on until level 0 fills up. REQUIRES: lock held.
    func deferCompaction(_ cause: StorageError) {
        pauseForNoSpace(\.compactionRetry, cause: cause, during: .compaction,
                        action: "compactions wait and are retried with backoff until space is free")
    }

    /// The level a live table is in. REQUIRES: lock held.
    func levelOf(_ number: UInt64) -> Int {
        for (level, files) in s.levelState.levels.enumerated() where files.contains(where: { $0.number == number }) {
            return level
        }
        return 0
    }

    /// True if any source outside the compaction (memtables, tables not being compacted) may hold `key`, in
    /// which case its tombstone must stay: dropping it could resurrect an older value.
    func otherSourcesMayContain(_ key: [UInt8], excluding inputs: Set<UInt64>) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if s.mem.get(key) != nil { return true }
        if let imm = s.imm, imm.get(key) != nil { return true }
        for level in s.tables.levels {
            for t in level where !inputs.contains(t.meta.number) && t.meta.overlaps(key, key) {
                if t.reader.mayContain(key) { return true }
            }
        }
        return false
    }
}
