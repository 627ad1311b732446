import TesseraCore

extension StorageEngine {
    /// Opens the database: manifest, live tables, log replay, a new log and manifest, cleanup of leftovers.
    ///
    /// Replayed log data is written to L0 tables, so after open every old log is retired: a new manifest that
    /// names the tables and the new log is made current atomically (CURRENT switch), and only then are the old
    /// logs, the old manifest and any table not in the manifest (left by an interrupted flush or compaction)
    /// deleted. A crash at any point of this leaves either the old state (replayed again next time) or the new.
    func recover() throws(StorageError) {
        try fs.createDirectory(directory)
        var state: LevelState
        if let (recovered, _) = try ManifestStore.recover(fileSystem: fs, directory: directory) {
            state = recovered
        } else {
            state = LevelState()
        }
        let names = try fs.listDirectory(directory)
        var logs: [UInt64] = []
        for name in names {
            switch FileNames.parse(name) {
            case .log(let n):
                state.nextFileNumber = max(state.nextFileNumber, n + 1)
                if n >= state.logNumber { logs.append(n) }
            case .table(let n), .manifest(let n):
                state.nextFileNumber = max(state.nextFileNumber, n + 1)
            case .current, .temp, .other:
                break
            }
        }

        var quarantined = fs.exists(quarantineDirectory) ? try fs.listDirectory(quarantineDirectory).sorted() : []
        var opened: [UInt64: LiveTable] = [:]
        for (level, files) in state.levels.enumerated() {
            for f in files {
                let name = FileNames.table(f.number)
                let path = directory + "/" + name
                guard fs.exists(path) else {
                    if quarantined.contains(name) {
                        // Moved to quarantine by a run that crashed before recording it in the manifest.
                        state.levels[level].removeAll { $0.number == f.number }
                        continue
                    }
                    throw .corruption(file: path, offset: 0, reason: "table listed in the manifest is missing")
                }
                do {
                    let reader = try TableReader.open(
                        file: try fs.openRandomAccess(path), path: path, fileNumber: f.number, cache: cache)
                    opened[f.number] = LiveTable(meta: f, reader: reader)
                } catch {
                    guard case .corruption = error else { throw error }
                    // A table whose footer, index or filter is damaged: set it aside, start without it.
                    report(error, during: .recovery, severity: .unrecoverable, action: "the table is quarantined")
                    try fs.createDirectory(quarantineDirectory)
                    try fs.rename(path, to: quarantineDirectory + "/" + name)
                    try fs.syncDirectory(quarantineDirectory)
                    state.levels[level].removeAll { $0.number == f.number }
                    quarantined.append(name)
                    report(
                        StorageEvent(
                            kind: .tableQuarantined, severity: .unrecoverable, operation: .recovery,
                            file: quarantineDirectory + "/" + name,
                            message: "table \(name) (L\(level)) was moved to \(Self.quarantineFolder)/ at open; its keys "
                                + "are served by the other replicas until repaired (docs/storage.md, \"Rebuilding\")"))
                }
            }
        }
        s.stats.quarantinedTables = quarantined

        var edit = VersionEdit()
        var mem = Memtable(expectedBytes: options.memtableSizeBytes)
        var newTables: [LiveTable] = []
        func flushRecovered() throws(StorageError) {
            guard !mem.isEmpty else { return }
            let number = state.nextFileNumber
            state.nextFileNumber += 1
            var out = try TableOutput(fileSystem: fs, directory: directory, number: number, options: tableOptions)
            var it = FrozenMemtable(mem, logNumber: 0).makeIterator()
            try it.seekToFirst()
            while it.isValid {
                try out.add(it.key, it.cell)
                try it.next()
            }
            if let t = try out.finish(fileSystem: fs, cache: cache) {
                newTables.append(t)
                edit.added.append((0, t.meta))
                s.stats.bytesWrittenToDisk += t.meta.size
            }
            mem = Memtable(expectedBytes: options.memtableSizeBytes)
        }
        var stoppedAt: String?
        var replayedRecords = 0
        for n in logs.sorted() {
            let path = directory + "/" + FileNames.log(n)
            if let stoppedAt {
                let size = (try? fs.fileSize(path)) ?? 0
                reportDrop(path, LogReader.Drop(
                    offset: 0, length: size, reason: "point-in-time recovery stopped at damage in \(stoppedAt)",
                    torn: false, damagedPayload: nil))
                continue
            }
            let result = try LogReader.read(
                fileSystem: fs, path: path, mode: options.walRecoveryMode, onDrop: { reportDrop(path, $0) }
            ) { payload, offset throws(StorageError) in
                replayedRecords += 1
                try WriteBatch.forEach(encoded: payload, path: path, offset: offset) { key, value, version in
                    mem.insert(key: key, value: value, version: version)
                }
                if mem.approximateBytes >= options.memtableSizeBytes { try flushRecovered() }
            }
            if result.stoppedAtDamage { stoppedAt = path }
        }
        try flushRecovered()

        let walNumber = state.nextFileNumber
        let manifestNumber = walNumber + 1
        state.nextFileNumber += 2
        let walPath = directory + "/" + FileNames.log(walNumber)
        let walFile = try fs.openWritable(walPath, truncate: true)
        edit.logNumber = walNumber
        edit.nextFileNumber = state.nextFileNumber
        try state.apply(edit)
        // Writes the snapshot, syncs it, switches CURRENT and syncs the directory (which also makes the new
        // tables and the new log's directory entries durable).
        let manifest = try ManifestStore(
            fileSystem: fs, directory: directory, number: manifestNumber, state: state)
        for t in newTables { opened[t.meta.number] = t }

        // Leftovers: retired logs, old manifests, tables no manifest references, temporary files.
        let live = state.liveNumbers
        for name in try fs.listDirectory(directory) {
            let obsolete: Bool
            switch FileNames.parse(name) {
            // Replayed logs are in the new tables; a log with dropped damage goes too (its drops were reported).
            case .log(let n): obsolete = n != walNumber
            case .table(let n): obsolete = !live.contains(n)
            case .manifest(let n): obsolete = n != manifestNumber
            case .temp: obsolete = true
            case .current, .other: obsolete = false
            }
            if obsolete { try? fs.removeFile(directory + "/" + name) }
        }

        var tableLevels: [[LiveTable]] = Array(repeating: [], count: LevelGeometry.levels)
        for (level, files) in state.levels.enumerated() {
            tableLevels[level] = files.compactMap { opened[$0.number] }
        }
        lock.withLock {
            s.levelState = state
            s.tables = TableSet(levels: tableLevels)
            s.wal = LogWriter(file: walFile, path: walPath)
            s.walNumber = walNumber
            s.memFirstLog = walNumber
            s.manifest = manifest
            s.stats.walRecordsReplayed = replayedRecords
        }
    }

    /// Reports log bytes that recovery did not replay, with what a damaged record seemed to hold.
    func reportDrop(_ path: String, _ drop: LogReader.Drop) {
        s.stats.walBytesDropped += drop.length
        var message: String
        if drop.torn {
            message = "dropped a torn tail of \(drop.length) bytes at offset \(drop.offset) (\(drop.reason))"
        } else {
            message = "\(options.walRecoveryMode.rawValue) recovery dropped \(drop.length) bytes at offset "
                + "\(drop.offset) (\(drop.reason))"
        }
        if let payload = drop.damagedPayload {
            message += "; the damaged record held \(payload.count) bytes"
            if let summary = Self.summarizeDamagedBatch(payload) { message += ", " + summary }
            message += ". If that write was acknowledged (sync=always), it is lost on this node and must come "
                + "back from the other replicas (read repair, tessera repair)"
        }
        report(
            StorageEvent(
                kind: .walDataDropped, severity: drop.torn && drop.damagedPayload == nil ? .info : .unrecoverable,
                operation: .recovery, file: path, message: message))
    }

    /// Best-effort: what a write batch whose checksum failed seems to hold: entry count and version range
    /// (keys and values are never logged).
    static func summarizeDamagedBatch(_ payload: [UInt8]) -> String? {
        var entries = 0
        var oldest: Version?
        var newest: Version?
        payload.withUnsafeBytes { raw in
            try? WriteBatch.forEach(encoded: raw, path: "", offset: 0) { _, _, version in
                entries += 1
                oldest = oldest.map { min($0, version) } ?? version
                newest = newest.map { max($0, version) } ?? version
            }
        }
        guard entries > 0, let oldest, let newest else { return nil }
        return "seemingly (unverified) \(entries) write(s) with versions \(oldest.timestamp.physicalMillis) to "
            + "\(newest.timestamp.physicalMillis) ms since the epoch"
    }
}
