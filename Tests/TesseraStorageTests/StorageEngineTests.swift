import Testing
import TesseraCore
@testable import TesseraStorage

@Suite struct StorageEngineTests {
    func openMemory(_ fs: InMemoryFileSystem = InMemoryFileSystem(), sync: SyncPolicy = .never,
                    _ tweak: (inout StorageOptions) -> Void = { _ in }) throws -> StorageEngine {
        var o = T.smallOptions(fs, sync: sync)
        tweak(&o)
        return try StorageEngine.open(directory: "/db", options: o)
    }

    @Test func putGetDeleteAndHighestVersionWins() throws {
        let db = try openMemory()
        defer { try? db.close() }
        let k = Array("key".utf8)
        #expect(try db.get(k) == nil)
        try db.put(k, [1], version: T.v(10))
        try db.put(k, [2], version: T.v(5))  // older, arrives late: kept out of reads
        #expect(try db.get(k) == Cell(version: T.v(10), value: [1]))
        try db.put(k, [3], version: T.v(10))  // equal: the first stays
        #expect(try db.get(k)?.value == [1])
        try db.delete(k, version: T.v(11))
        #expect(try db.get(k) == .tombstone(T.v(11)))
        try db.apply(k, Cell(version: T.v(12), value: [4]))
        #expect(try db.get(k)?.value == [4])
    }

    @Test func highestVersionWinsAcrossFlushedTablesAndMemtable() throws {
        let db = try openMemory()
        defer { try? db.close() }
        let k = Array("key".utf8)
        try db.put(k, [9], version: T.v(9))
        try db.flush()
        try db.put(k, [1], version: T.v(1))  // memtable now holds an older version than the table
        #expect(try db.get(k)?.value == [9])
        #expect(try db.scan(from: [], to: nil).map(\.cell.value) == [[9]])
        try db.flush()
        try db.compactAll()
        #expect(try db.get(k)?.value == [9])
    }

    @Test func getWithoutIOAnswersFromMemoryAndSaysWhenItWouldReadTheDisk() throws {
        let db = try openMemory { $0.blockCacheBytes = 1 << 20 }
        defer { try? db.close() }
        let onDisk = Array("on-disk".utf8)
        let inMemtable = Array("in-memtable".utf8)
        try db.put(onDisk, [1], version: T.v(1))
        try db.flush()
        try db.put(inMemtable, [2], version: T.v(2))
        #expect(try db.getWithoutIO(inMemtable) == .found(Cell(version: T.v(2), value: [2])))
        // The flushed key's data block was never read: not in the cache yet.
        #expect(try db.getWithoutIO(onDisk) == .notCached)
        // A key the table's bloom filter rules out needs no block at all.
        #expect(try db.getWithoutIO(Array("never-written".utf8)) == .found(nil))
        // After `get` reads the block, it is cached and the memory-only lookup finds the same cell.
        #expect(try db.get(onDisk) == Cell(version: T.v(1), value: [1]))
        #expect(try db.getWithoutIO(onDisk) == .found(Cell(version: T.v(1), value: [1])))
        // A newer version in the memtable wins over the table, as with `get`.
        try db.put(onDisk, [3], version: T.v(3))
        #expect(try db.getWithoutIO(onDisk) == .found(Cell(version: T.v(3), value: [3])))
    }

    @Test func getWithoutIOWithNoBlockCacheSendsTableReadsToGet() throws {
        let db = try openMemory { $0.blockCacheBytes = 0 }
        defer { try? db.close() }
        let k = Array("key".utf8)
        try db.put(k, [1], version: T.v(1))
        try db.flush()
        #expect(try db.getWithoutIO(k) == .notCached)
        #expect(try db.get(k)?.value == [1])
        #expect(try db.getWithoutIO(k) == .notCached)
    }

    @Test func limitsGiveClearErrors() throws {
        let db = try openMemory()
        defer { try? db.close() }
        let bigKey = [UInt8](repeating: 1, count: Limits.maxKeySize + 1)
        do {
            try db.put(bigKey, [], version: T.v(1))
            Issue.record("expected an error")
        } catch let StorageError.invalidArgument(message) {
            #expect(message.contains("65537") && message.contains("64 KiB"))
        }
        let bigValue = [UInt8](repeating: 1, count: Limits.maxValueSize + 1)
        #expect(throws: StorageError.invalidArgument(
            "value is \(Limits.maxValueSize + 1) bytes; the limit is \(Limits.maxValueSize) bytes (16 MiB)")) {
            try db.put([1], bigValue, version: T.v(1))
        }
        #expect(throws: StorageError.self) { try db.put([], [1], version: T.v(1)) }
        // Exactly at the limits is fine.
        let maxKey = [UInt8](repeating: 2, count: Limits.maxKeySize)
        try db.put(maxKey, [1], version: T.v(1))
        #expect(try db.get(maxKey)?.value == [1])
    }

    @Test func largeValueSurvivesFlushAndReopen() throws {
        let fs = InMemoryFileSystem()
        var db = try openMemory(fs)
        let big = T.value(1, size: 3 << 20)
        try db.put([7], big, version: T.v(1))
        try db.close()
        db = try openMemory(fs)
        #expect(try db.get([7])?.value == big)
        try db.close()
    }

    @Test func scanIsOrderedEndExclusiveAndHonoursLimitAndTombstones() throws {
        let db = try openMemory()
        defer { try? db.close() }
        for i in 0..<300 { try db.put(T.key(i), T.value(i), version: T.v(1)) }
        try db.flush()
        for i in stride(from: 0, to: 300, by: 3) { try db.delete(T.key(i), version: T.v(2)) }
        let got = try db.scan(from: T.key(10), to: T.key(20))
        #expect(got.map(\.key) == [10, 11, 13, 14, 16, 17, 19].map(T.key))
        #expect(got.allSatisfy { $0.cell.value != nil })
        let withTombstones = try db.scan(from: T.key(10), to: T.key(13), includeTombstones: true)
        #expect(withTombstones.map(\.key) == [10, 11, 12].map(T.key))
        #expect(withTombstones[2].cell.isTombstone)
        #expect(try db.scan(from: [], to: nil, limit: 5).count == 5)
        #expect(try db.scan(from: [], to: nil).count == 200)
    }

    @Test func writeBatchIsAppliedAsAWhole() throws {
        let fs = InMemoryFileSystem()
        var db = try openMemory(fs)
        var batch = WriteBatch()
        batch.put([1], [10], version: T.v(1))
        batch.put([2], [20], version: T.v(1))
        batch.delete([3], version: T.v(1))
        #expect(batch.count == 3)
        try db.write(batch)
        var bad = WriteBatch()
        bad.put([4], [1], version: T.v(1))
        bad.put([UInt8](repeating: 0, count: Limits.maxKeySize + 1), [1], version: T.v(1))
        #expect(throws: StorageError.self) { try db.write(bad) }
        #expect(try db.get([4]) == nil)  // nothing of the invalid batch was applied
        try db.close()
        db = try openMemory(fs)
        #expect(try db.get([1])?.value == [10])
        #expect(try db.get([2])?.value == [20])
        #expect(try db.get([3])?.isTombstone == true)
        try db.close()
    }

    @Test func reopenRecoversFromLogAndTables() throws {
        let fs = InMemoryFileSystem()
        var db = try openMemory(fs)
        for i in 0..<2000 { try db.put(T.key(i), T.value(i), version: T.v(UInt64(i + 1))) }
        let flushed = db.stats().flushes
        #expect(flushed > 0)
        try db.close()
        try db.close()  // idempotent
        #expect(throws: StorageError.self) { try db.put([1], [1], version: T.v(1)) }
        db = try openMemory(fs)
        for i in stride(from: 0, to: 2000, by: 7) { #expect(try db.get(T.key(i))?.value == T.value(i)) }
        #expect(try db.scan(from: [], to: nil).count == 2000)
        try db.close()
        // Only live files remain: one log, one manifest, CURRENT and the live tables.
        let names = try fs.listDirectory("/db")
        #expect(names.filter { $0.hasSuffix(".log") }.count == 1)
        #expect(names.filter { $0.hasPrefix("MANIFEST-") }.count == 1)
        #expect(names.contains("CURRENT"))
    }

    @Test func leftoverFilesAreDeletedOnOpen() throws {
        let fs = InMemoryFileSystem()
        var db = try openMemory(fs)
        try db.put([1], [1], version: T.v(1))
        try db.close()
        for name in ["000900.sst", "000901.log", "MANIFEST-000902", "CURRENT.tmp"] {
            let f = try fs.openWritable("/db/" + name, truncate: true)
            try f.append([1, 2, 3])
        }
        db = try openMemory(fs)
        let names = try fs.listDirectory("/db")
        for name in ["000900.sst", "000901.log", "MANIFEST-000902", "CURRENT.tmp"] { #expect(!names.contains(name)) }
        #expect(try db.get([1])?.value == [1])
        try db.close()
    }

    @Test func compactionKeepsOnlyNewestAndSpaceAmplificationStaysUnderTwo() throws {
        let db = try openMemory()
        defer { try? db.close() }
        let n = 1500
        for round in 0..<8 {
            for i in 0..<n { try db.put(T.key(i), T.value(i, round, size: 64), version: T.v(UInt64(round * n + i + 1))) }
        }
        try db.compactAll()
        let st = db.stats()
        let live = n * (16 + 64)
        #expect(st.compactions > 0)
        #expect(st.liveKeyEstimate == n)
        let tableBytes = st.bytesPerLevel.reduce(0, +)
        #expect(Double(tableBytes) < 2.0 * Double(live))
        for i in stride(from: 0, to: n, by: 11) { #expect(try db.get(T.key(i))?.value == T.value(i, 7, size: 64)) }
    }

    @Test func backgroundCompactionBoundsSpaceOnOverwrites() throws {
        let db = try openMemory()
        defer { try? db.close() }
        let n = 2000
        for round in 0..<10 {
            for i in 0..<n { try db.put(T.key(i), T.value(i, round, size: 64), version: T.v(UInt64(round * n + i + 1))) }
        }
        try db.flush()
        // Let background compaction settle (bounded wait), then measure space amplification.
        for _ in 0..<200 {
            let st = db.stats()
            if st.tablesPerLevel[0] < 4 { break }
            usleepMs(10)
        }
        let st = db.stats()
        #expect(st.compactions > 0)
        let tableBytes = st.bytesPerLevel.reduce(0, +)
        // Tables compress (values are random bytes: ~no gain); live data is n * 80 bytes plus format overhead.
        #expect(Double(tableBytes) < 2.0 * Double(n * 80) * 1.3, "tables hold \(tableBytes) bytes")
    }

    @Test func tombstonesArePurgedOnlyAfterTheGracePeriod() throws {
        let fs = InMemoryFileSystem()
        var nowMs: UInt64 = 1_000_000
        let clock = Clock(nowMs)
        let db = try openMemory(fs) { o in
            o.tombstoneGracePeriodSeconds = 100
            o.wallClockMillis = { clock.now }
        }
        defer { try? db.close() }
        try db.put([1], [1], version: T.v(nowMs))
        try db.delete([1], version: T.v(nowMs + 1))
        try db.compactAll()
        #expect(try db.get([1]) == .tombstone(T.v(nowMs + 1)))  // within grace: kept
        nowMs += 101_000
        clock.set(nowMs)
        try db.compactAll()
        #expect(try db.get([1]) == nil)  // purged
        #expect(db.stats().tombstonesPurged == 1)
    }

    @Test func statsCountWritesFlushesAndAmplification() throws {
        let db = try openMemory()
        defer { try? db.close() }
        for i in 0..<1000 { try db.put(T.key(i), T.value(i, size: 100), version: T.v(1)) }
        try db.flush()
        let st = db.stats()
        #expect(st.bytesWrittenByUser == 1000 * 116)
        #expect(st.bytesWrittenToDisk > st.bytesWrittenByUser)
        #expect(st.writeAmplification > 1)
        #expect(st.flushes >= 1)
        #expect(st.walWrites == 1000)
        #expect(st.tablesPerLevel.count == 7)
        #expect(st.diskBytes > 0)
    }

    @Test func invalidOptionsAreRejected() {
        var o = StorageOptions()
        o.fileSystem = InMemoryFileSystem()
        o.memtableSizeBytes = 10
        #expect(throws: StorageError.self) { _ = try StorageEngine.open(directory: "/db", options: o) }
    }

    @Test func posixEngineRoundTrip() throws {
        let dir = T.tempDirectory("posix")
        var o = StorageOptions()
        o.syncPolicy = .always
        o.memtableSizeBytes = 64 << 10
        var db = try StorageEngine.open(directory: dir, options: o)
        for i in 0..<300 { try db.put(T.key(i), T.value(i), version: T.v(1)) }
        try db.delete(T.key(5), version: T.v(2))
        try db.close()
        db = try StorageEngine.open(directory: dir, options: o)
        #expect(try db.get(T.key(4))?.value == T.value(4))
        #expect(try db.get(T.key(5))?.isTombstone == true)
        #expect(try db.scan(from: [], to: nil).count == 299)
        try db.close()
        removeTree(dir)
    }
}

/// A settable clock for the grace-period test.
final class Clock: Sendable {
    let value: Mutex<UInt64>
    init(_ v: UInt64) { value = Mutex(v) }
    var now: UInt64 { value.withLock { $0 } }
    func set(_ v: UInt64) { value.withLock { $0 = v } }
}

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

func usleepMs(_ ms: Int) { usleep(UInt32(ms * 1000)) }

func removeTree(_ dir: String) {
    let fs = POSIXFileSystem()
    if let names = try? fs.listDirectory(dir) {
        for n in names { try? fs.removeFile(dir + "/" + n) }
    }
    rmdir(dir)
}
