import Testing
import TesseraCore
@testable import TesseraStorage

/// Flipped bytes in a log, the manifest or a table: the engine reports corruption naming the file, and never
/// returns wrong data.
@Suite struct EngineCorruptionTests {
    func options(_ fs: InMemoryFileSystem) -> StorageOptions { T.smallOptions(fs, sync: .always) }

    /// The error `open` throws, or nil if it succeeds (the engine is closed again).
    func openError(_ o: StorageOptions) -> StorageError? {
        do {
            let e = try StorageEngine.open(directory: "/db", options: o)
            try? e.close()
            return nil
        } catch {
            return error
        }
    }

    func files(_ fs: InMemoryFileSystem, _ suffix: String) throws -> [String] {
        try fs.listDirectory("/db").filter { $0.hasSuffix(suffix) || $0.hasPrefix(suffix) }.sorted()
    }

    @Test func corruptionInTheMiddleOfTheLogIsReportedWithFileAndOffset() throws {
        let fs = InMemoryFileSystem()
        var o = options(fs)
        o.memtableSizeBytes = 1 << 20  // keep everything in the log
        let db = try StorageEngine.open(directory: "/db", options: o)
        for i in 0..<100 { try db.put(T.key(i), T.value(i, size: 50), version: T.v(1)) }
        try db.close()
        let log = "/db/" + (try files(fs, ".log")).last!
        let size = try fs.fileSize(log)
        try fs.flipBits(log, at: size / 2, mask: 0x10)
        let error = openError(o)
        guard case .corruption(let file, let offset, let reason)? = error else {
            Issue.record("open should fail with corruption on a corrupt log, got \(String(describing: error))")
            return
        }
        #expect(file == log)
        #expect(offset > 0 && offset <= size / 2)
        #expect(reason.contains("checksum"))
    }

    @Test func tornLogTailIsCutAndEarlierWritesSurvive() throws {
        let fs = InMemoryFileSystem()
        var o = options(fs)
        o.memtableSizeBytes = 1 << 20
        let db = try StorageEngine.open(directory: "/db", options: o)
        for i in 0..<100 { try db.put(T.key(i), T.value(i, size: 50), version: T.v(1)) }
        try db.close()
        let log = "/db/" + (try files(fs, ".log")).last!
        try fs.truncate(log, to: try fs.fileSize(log) - 20)  // cut into the last record
        let reopened = try StorageEngine.open(directory: "/db", options: o)
        for i in 0..<99 { #expect(try reopened.get(T.key(i))?.value == T.value(i, size: 50)) }
        #expect(try reopened.get(T.key(99)) == nil)
        try reopened.close()
    }

    @Test func corruptManifestIsReportedNotIgnored() throws {
        let fs = InMemoryFileSystem()
        let o = options(fs)
        let db = try StorageEngine.open(directory: "/db", options: o)
        for round in 0..<3 {
            for i in 0..<50 { try db.put(T.key(i + round * 50), T.value(i), version: T.v(1)) }
            try db.flush()
        }
        // Keep the engine open so the manifest holds the snapshot plus three flush edits.
        let manifest = "/db/" + (try files(fs, "MANIFEST-")).last!
        let size = try fs.fileSize(manifest)
        try db.close()
        for offset in [5, size / 2, size - 3] {
            let copy = InMemoryFileSystem(state: fs.durableSnapshot { _, n in n })
            try copy.flipBits(manifest, at: offset, mask: 0x04)
            var oc = o
            oc.fileSystem = copy
            let error = openError(oc)
            guard case .corruption(let file, _, _)? = error else {
                Issue.record("open should fail on a manifest flipped at \(offset), got \(String(describing: error))")
                continue
            }
            #expect(file == manifest)
        }
    }

    @Test func flippedTableBlockIsReportedAndNeverReturnedAsData() async throws {
        let fs = InMemoryFileSystem()
        var o = options(fs)
        o.blockCacheBytes = 0
        // Reads must meet the damage first: a background compaction would meet it and quarantine the table.
        o.backgroundCompaction = false
        let db = try StorageEngine.open(directory: "/db", options: o)
        for i in 0..<400 { try db.put(T.key(i), T.value(i, size: 40), version: T.v(1)) }
        try db.flush()
        try db.close()
        let table = "/db/" + (try files(fs, ".sst")).first!
        try fs.flipBits(table, at: 100, mask: 0x20)  // inside the first data block
        let reopened = try StorageEngine.open(directory: "/db", options: o)
        defer { try? reopened.close() }
        var errors = 0
        for i in 0..<400 {
            let result = Result { () throws(StorageError) -> Cell? in try reopened.get(T.key(i)) }
            switch result {
            case .success(let cell):
                if let cell { #expect(cell.value == T.value(i, size: 40)) }
            case .failure(let error):
                guard case .corruption(let file, _, _) = error else {
                    Issue.record("unexpected error \(error)")
                    continue
                }
                #expect(file == table)
                errors += 1
            }
        }
        #expect(errors > 0)
        // The read that met the damage quarantined the table (storage-hardening): scans go on without it and
        // still never return wrong data.
        let deadline = ContinuousClock.now + .seconds(10)
        while reopened.stats().quarantinedTables.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(reopened.stats().quarantinedTables.count == 1)
        for (key, cell) in try reopened.scan(from: [], to: nil) {
            let i = Int(String(decoding: key, as: UTF8.self))!
            #expect(cell.value == T.value(i, size: 40))
        }
    }

    @Test func missingTableIsReported() throws {
        let fs = InMemoryFileSystem()
        let o = options(fs)
        let db = try StorageEngine.open(directory: "/db", options: o)
        try db.put([1], [1], version: T.v(1))
        try db.flush()
        try db.close()
        let table = "/db/" + (try files(fs, ".sst")).first!
        try fs.removeFile(table)
        #expect(throws: StorageError.corruption(file: table, offset: 0, reason: "table listed in the manifest is missing")) {
            _ = try StorageEngine.open(directory: "/db", options: o)
        }
    }
}
