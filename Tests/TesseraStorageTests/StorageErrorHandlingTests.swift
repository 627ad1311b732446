import Synchronization
import Testing
import TesseraCore
@testable import TesseraStorage

/// Storage errors as RocksDB's error handler classifies them, with the fault-injecting file system: no space is
/// a soft error (writes pause and resume by themselves), other log I/O errors are hard, a damaged table is
/// quarantined and the engine goes on. Every error is reported once through the event handler.
@Suite struct StorageErrorHandlingTests {
    /// Collects the events an engine reports.
    final class Events: Sendable {
        let list = Mutex<[StorageEvent]>([])
        var all: [StorageEvent] { list.withLock { $0 } }
        func count(_ kind: StorageEvent.Kind) -> Int { all.filter { $0.kind == kind }.count }
        var handler: @Sendable (StorageEvent) -> Void { { [self] e in list.withLock { $0.append(e) } } }
    }

    func options(_ fs: any FileSystem, _ events: Events) -> StorageOptions {
        var o = T.smallOptions(fs, sync: .always)
        o.eventHandler = events.handler
        o.noSpaceRetryMillis = 5
        o.noSpaceRetryMaxMillis = 50
        o.resumeFreeBytes = 0
        return o
    }

    /// Retries `body` until it succeeds, for at least `seconds` and at least 1,000 attempts 5 ms apart (the
    /// attempts count too: a test task starved by other suites on a loaded machine still gets its tries).
    func eventually(_ seconds: Double = 30, _ body: () throws -> Void) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var attempts = 0
        while attempts < 1000 || ContinuousClock.now < deadline {
            if (try? body()) != nil { return true }
            attempts += 1
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    @Test func fullDiskPausesWritesThatResumeWhenSpaceReturns() async throws {
        let fs = FaultInjectingFileSystem()
        let events = Events()
        let o = options(fs, events)
        let db = try StorageEngine.open(directory: "/db", options: o)
        var acked: [Int] = []
        for i in 0..<50 {
            try db.put(T.key(i), T.value(i), version: T.v(1))
            acked.append(i)
        }
        // 10 bytes fit: the next log record is written in part, as write(2) does on a full disk.
        fs.failAppendsAfter(bytes: 10)
        var refused: [Int] = []
        for i in 50..<60 {
            do {
                try db.put(T.key(i), T.value(i), version: T.v(1))
                acked.append(i)
            } catch {
                #expect(error.isNoSpace, "a full disk fails writes with ENOSPC, got \(error)")
                #expect(error.description.contains("disk full"))
                refused.append(i)
            }
        }
        #expect(refused.count == 10)
        #expect(db.stats().writesPausedForNoSpace)
        #expect(db.stats().noSpaceErrors == 1, "reported once, not once per refused write")
        #expect(events.count(.noSpace) == 1)
        #expect(events.all.first { $0.kind == .noSpace }?.severity == .soft)

        fs.failAppendsAfter(bytes: nil)  // space freed
        let resumed = await eventually { try db.put(T.key(100), T.value(100), version: T.v(1)) }
        try #require(resumed, "writes resume by themselves once space is back")
        acked.append(100)
        for i in 101..<400 {
            try db.put(T.key(i), T.value(i), version: T.v(1))
            acked.append(i)
        }
        #expect(!db.stats().writesPausedForNoSpace)
        #expect(events.count(.resumed) >= 1)

        // A power cut now: every acknowledged write is on disk, no refused one is, and the log cut back to its
        // last good record opens cleanly.
        let after = fs.crash()
        var o2 = o
        o2.fileSystem = after
        let reopened = try StorageEngine.open(directory: "/db", options: o2)
        defer { try? reopened.close() }
        for i in acked { #expect(try reopened.get(T.key(i))?.value == T.value(i), "acknowledged key \(i)") }
        for i in refused { #expect(try reopened.get(T.key(i)) == nil, "refused key \(i) must not appear") }
    }

    /// A flush paused for space while writes resume on a fresh log: the memtable then spans two segments, and
    /// the flush must not retire the older one (replay starts at the oldest segment the memtable needs).
    @Test func resumeWhileAFlushWaitsKeepsTheMemtablesOlderSegment() async throws {
        let fs = FaultInjectingFileSystem()
        let events = Events()
        var o = options(fs, events)
        o.noSpaceRetryMillis = 300
        o.noSpaceRetryMaxMillis = 300
        o.backgroundCompaction = false
        let db = try StorageEngine.open(directory: "/db", options: o)
        for i in 0..<40 { try db.put(T.key(i), T.value(i, size: 200), version: T.v(1)) }
        fs.failAppendsAfter(bytes: 0)
        #expect(throws: StorageError.self) { try db.flush() }  // the frozen memtable cannot be written
        fs.failAppendsAfter(bytes: 400)  // one more record fits in the new segment, the next one only in part
        try db.put(T.key(50), T.value(50, size: 200), version: T.v(1))
        #expect(throws: StorageError.self) { try db.put(T.key(51), T.value(51, size: 200), version: T.v(1)) }
        // Still full: the flush retry fails again while writes resume on a fresh segment (the file system
        // reports no free space but resumeFreeBytes is 0), so the flush runs only after the resume.
        try await Task.sleep(for: .milliseconds(450))
        fs.failAppendsAfter(bytes: nil)
        let resumed = await eventually { try db.put(T.key(52), T.value(52, size: 200), version: T.v(1)) }
        try #require(resumed)
        let flushed = await eventually { if db.stats().flushes < 1 { throw StorageError.closed("not yet") } }
        #expect(flushed, "the paused flush completes once space is back")
        let after = fs.crash()
        var o2 = o
        o2.fileSystem = after
        let reopened = try StorageEngine.open(directory: "/db", options: o2)
        defer { try? reopened.close() }
        for i in Array(0..<40) + [50, 52] {
            #expect(try reopened.get(T.key(i))?.value == T.value(i, size: 200), "acknowledged key \(i)")
        }
        #expect(try reopened.get(T.key(51)) == nil)
    }

    @Test func compactionChecksForRoomBeforeItStartsAndWritesGoOn() async throws {
        let fs = FaultInjectingFileSystem()
        let events = Events()
        var o = options(fs, events)
        o.syncPolicy = .never
        o.backgroundCompaction = false
        let db = try StorageEngine.open(directory: "/db", options: o)
        defer { try? db.close() }
        for round in 0..<4 {
            for i in 0..<300 { try db.put(T.key(i), T.value(i, round, size: 64), version: T.v(UInt64(round + 1))) }
            try db.flush()
        }
        let tablesBefore = try fs.listDirectory("/db").filter { $0.hasSuffix(".sst") }.sorted()
        fs.failAppendsAfter(bytes: 8 << 10)  // far less than the tables' size: a compaction cannot fit
        #expect(throws: StorageError.self) { try db.compactAll() }
        let tablesAfter = try fs.listDirectory("/db").filter { $0.hasSuffix(".sst") }.sorted()
        #expect(tablesAfter == tablesBefore, "the compaction never started: no partial output")
        #expect(db.stats().compactionsPausedForNoSpace)
        #expect(events.count(.noSpace) == 1)
        try db.put(T.key(7), T.value(7, 9, size: 64), version: T.v(9))  // writes go on
        fs.failAppendsAfter(bytes: nil)
        let compacted = await eventually { try db.compactAll() }
        #expect(compacted)
        #expect(db.stats().tablesPerLevel[0] == 0)
        #expect(!db.stats().compactionsPausedForNoSpace)
        #expect(try db.get(T.key(7))?.value == T.value(7, 9, size: 64))
        #expect(try db.get(T.key(8))?.value == T.value(8, 3, size: 64))
    }

    @Test func otherLogErrorsStopWritesWithTheCauseAndAreReportedOnce() throws {
        let fs = FaultInjectingFileSystem()
        let events = Events()
        let db = try StorageEngine.open(directory: "/db", options: options(fs, events))
        defer { try? db.close() }
        try db.put([1], [1], version: T.v(1))
        fs.setFailSyncs(true)
        for _ in 0..<3 {
            do {
                try db.put([2], [2], version: T.v(2))
                Issue.record("a write whose sync failed must fail")
            } catch {
                guard case .ioError(_, _, let errno) = error else {
                    Issue.record("the cause (EIO) is kept, not turned into 'closed': \(error)")
                    continue
                }
                #expect(errno == 5)
            }
        }
        #expect(events.count(.ioError) == 1)
        #expect(events.all.first?.severity == .hard)
        #expect(db.stats().ioErrors == 1)
    }

    @Test func damagedTableIsQuarantinedAndCompactionAndWritesGoOn() throws {
        let fs = InMemoryFileSystem()
        let events = Events()
        var o = options(fs, events)
        o.blockCacheBytes = 0
        o.backgroundCompaction = false
        var db = try StorageEngine.open(directory: "/db", options: o)
        for round in 0..<3 {
            for i in 0..<200 { try db.put(T.key(i + round * 200), T.value(i), version: T.v(1)) }
            try db.flush()
        }
        try db.close()
        let tables = try fs.listDirectory("/db").filter { $0.hasSuffix(".sst") }.sorted()
        let damaged = tables[0]
        try fs.flipBits("/db/" + damaged, at: try fs.fileSize("/db/" + damaged) / 4, mask: 0x08)

        db = try StorageEngine.open(directory: "/db", options: o)
        try db.compactAll()  // meets the damaged block: quarantines the table instead of stopping writes
        #expect(db.stats().quarantinedTables == [damaged])
        #expect(fs.exists("/db/quarantine/" + damaged), "set aside, not deleted")
        #expect(!fs.exists("/db/" + damaged))
        try db.compactAll()  // and goes on
        try db.put([9], [9], version: T.v(2))
        #expect(try db.get([9])?.value == [9])
        // The other tables' keys survive; nothing wrong is ever returned.
        for i in 200..<600 { #expect(try db.get(T.key(i))?.value == T.value(i - (i / 200) * 200)) }
        #expect(events.count(.corruption) == 1)
        #expect(events.count(.tableQuarantined) == 1)
        #expect(events.all.contains { $0.kind == .corruption && $0.file == "/db/" + damaged })
        try db.close()

        // After a restart the node still says so, and starts (no longer stuck on the damaged table).
        let again = try StorageEngine.open(directory: "/db", options: o)
        defer { try? again.close() }
        #expect(again.stats().quarantinedTables == [damaged])
        try again.put([10], [10], version: T.v(3))
    }

    @Test func tableWithDamagedIndexIsQuarantinedAtOpen() throws {
        let fs = InMemoryFileSystem()
        let events = Events()
        let o = options(fs, events)
        let db = try StorageEngine.open(directory: "/db", options: o)
        for i in 0..<100 { try db.put(T.key(i), T.value(i), version: T.v(1)) }
        try db.flush()
        try db.close()
        let table = try fs.listDirectory("/db").first { $0.hasSuffix(".sst") }!
        let size = try fs.fileSize("/db/" + table)
        try fs.flipBits("/db/" + table, at: size - 60, mask: 0x01)  // the footer: open reads it
        let reopened = try StorageEngine.open(directory: "/db", options: o)
        defer { try? reopened.close() }
        #expect(reopened.stats().quarantinedTables == [table])
        #expect(events.count(.tableQuarantined) == 1)
        try reopened.put([1], [1], version: T.v(2))
    }
}
