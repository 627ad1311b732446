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

        var opened: [UInt64: LiveTable] = [:]
        for files in state.levels {
            for f in files {
                let path = directory + "/" + FileNames.table(f.number)
                guard fs.exists(path) else {
                    throw .corruption(file: path, offset: 0, reason: "table listed in the manifest is missing")
                }
                let reader = try TableReader.open(
                    file: try fs.openRandomAccess(path), path: path, fileNumber: f.number, cache: cache)
                opened[f.number] = LiveTable(meta: f, reader: reader)
            }
        }

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
        var replayedRecords = 0
        for n in logs.sorted() {
            let path = directory + "/" + FileNames.log(n)
            var recordOffset = 0
            _ = try LogReader.read(fileSystem: fs, path: path) { payload throws(StorageError) in
                replayedRecords += 1
                try WriteBatch.forEach(encoded: payload, path: path, offset: recordOffset) { key, value, version in
                    mem.insert(key: key, value: value, version: version)
                }
                recordOffset += LogFormat.headerSize + payload.count
                if mem.approximateBytes >= options.memtableSizeBytes { try flushRecovered() }
            }
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
            s.manifest = manifest
            s.stats.walRecordsReplayed = replayedRecords
        }
    }
}
