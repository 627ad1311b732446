import Synchronization
import Testing
import TesseraCore
@testable import TesseraStorage

/// WAL recovery modes (RocksDB's names): strict refuses damage in the middle naming file and offset,
/// point-in-time keeps everything before it, skip-corrupted every intact record; every drop is reported.
@Suite struct WALRecoveryModeTests {
    typealias Events = StorageErrorHandlingTests.Events

    /// `count` equal records in one log (sync each), the engine closed. Returns the file system and the log's path.
    func records(_ count: Int) throws -> (InMemoryFileSystem, String) {
        let fs = InMemoryFileSystem()
        var o = T.smallOptions(fs, sync: .always)
        o.memtableSizeBytes = 1 << 20
        let db = try StorageEngine.open(directory: "/db", options: o)
        for i in 0..<count { try db.put(T.key(i), T.value(i, size: 50), version: T.v(1)) }
        try db.close()
        return (fs, "/db/" + (try fs.listDirectory("/db").filter { $0.hasSuffix(".log") }.sorted().last!))
    }

    /// 100 records, then one byte flipped in record 40's payload.
    func damagedLog() throws -> (InMemoryFileSystem, String) {
        let (fs, log) = try records(100)
        let recordSize = try fs.fileSize(log) / 100
        try fs.flipBits(log, at: recordSize * 40 + recordSize / 2, mask: 0x10)
        return (fs, log)
    }

    func options(_ fs: InMemoryFileSystem, _ mode: WALRecoveryMode, _ events: Events) -> StorageOptions {
        var o = T.smallOptions(fs, sync: .always)
        o.memtableSizeBytes = 1 << 20
        o.walRecoveryMode = mode
        o.eventHandler = events.handler
        return o
    }

    func present(_ db: StorageEngine) throws -> [Int] {
        try (0..<100).filter { i in
            guard let cell = try db.get(T.key(i)) else { return false }
            #expect(cell.value == T.value(i, size: 50), "key \(i) never returns wrong data")
            return true
        }
    }

    @Test func strictRefusesNamingFileAndOffset() throws {
        let (fs, log) = try damagedLog()
        let recordSize = try fs.fileSize(log) / 100
        #expect(throws: StorageError.corruption(file: log, offset: recordSize * 40, reason: "log record payload checksum mismatch")) {
            _ = try StorageEngine.open(directory: "/db", options: options(fs, .strict, Events()))
        }
        #expect(fs.exists(log), "a refused open keeps the log for a later recovery")
    }

    @Test func pointInTimeKeepsEverythingBeforeTheDamage() throws {
        let (fs, log) = try damagedLog()
        let events = Events()
        let db = try StorageEngine.open(directory: "/db", options: options(fs, .pointInTime, events))
        defer { try? db.close() }
        #expect(try present(db) == Array(0..<40))
        let drops = events.all.filter { $0.kind == .walDataDropped }
        #expect(drops.count == 1)
        #expect(drops.first?.file == log)
        #expect(drops.first?.message.contains("point-in-time recovery dropped") == true)
        #expect(db.stats().walBytesDropped > 0)
    }

    @Test func skipCorruptedKeepsEveryIntactRecord() throws {
        let (fs, _) = try damagedLog()
        let events = Events()
        let db = try StorageEngine.open(directory: "/db", options: options(fs, .skipCorrupted, events))
        defer { try? db.close() }
        #expect(try present(db) == Array(0..<40) + Array(41..<100))
        #expect(events.count(.walDataDropped) == 1)
    }

    @Test func damagedLastRecordIsReportedWithWhatItHeld() throws {
        let (fs, log) = try records(10)
        try fs.flipBits(log, at: try fs.fileSize(log) - 3, mask: 0x01)  // in the last value
        let events = Events()
        let reopened = try StorageEngine.open(directory: "/db", options: options(fs, .strict, events))
        defer { try? reopened.close() }
        #expect(try reopened.get(T.key(9)) == nil)
        #expect(try reopened.get(T.key(8))?.value == T.value(8, size: 50))
        let drop = events.all.first { $0.kind == .walDataDropped }
        #expect(drop?.severity == .unrecoverable)
        // What was lost: the record's size and the write(s) it held with their versions (keys are never logged).
        #expect(drop?.message.contains("1 write(s) with versions 1 to 1") == true, "\(drop?.message ?? "none")")
        #expect(drop?.message.contains(String(decoding: T.key(9), as: UTF8.self)) == false)
    }

    @Test func tornTailIsReported() throws {
        let (fs, log) = try records(10)
        try fs.truncate(log, to: try fs.fileSize(log) - 20)
        let events = Events()
        let reopened = try StorageEngine.open(directory: "/db", options: options(fs, .strict, events))
        defer { try? reopened.close() }
        let drop = events.all.first { $0.kind == .walDataDropped }
        #expect(drop?.message.contains("torn tail") == true)
        #expect(drop?.file == log)
        #expect(try reopened.get(T.key(8))?.value == T.value(8, size: 50))
    }
}
