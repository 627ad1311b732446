import Testing
import TesseraCore
@testable import TesseraStorage

#if canImport(Glibc)
import Glibc
#endif

/// Crash tests on the fault-injecting file system: the file system freezes at the N-th mutating operation
/// (an append, sync, create, rename, remove...) during writes, flushes, compactions and manifest updates; a
/// simulated power cut drops what was not synced (sometimes tearing the last write); the engine reopens;
/// every write acknowledged as durable must be there with its newest cell, and nothing else may be wrong.
@Suite struct CrashRecoveryTests {
    /// Runs a workload until the file system freezes. Returns the model of acknowledged writes and the set of
    /// keys whose outcome is unknown (the write in flight when the crash hit).
    func workload(_ db: StorageEngine, seed: UInt64, operations: Int) -> (Model, [[UInt8]: [Cell]]) {
        var rng = TestRNG(seed: seed)
        var acked = Model()
        var inFlight: [[UInt8]: [Cell]] = [:]
        for step in 0..<operations {
            let k = T.key(Int.random(in: 0..<300, using: &rng))
            let c: Cell = Int.random(in: 0..<10, using: &rng) == 0
                ? .tombstone(T.v(UInt64(step + 1)))
                : Cell(version: T.v(UInt64(step + 1)), value: T.value(step, size: Int.random(in: 1..<300, using: &rng)))
            do {
                if step % 50 == 25 {
                    try db.flush()
                } else if step % 170 == 100 {
                    try db.compactAll()
                }
                try db.apply(k, c)
                acked.apply(k, c)
            } catch {
                inFlight[k, default: []].append(c)
                return (acked, inFlight)
            }
        }
        return (acked, inFlight)
    }

    func check(_ db: StorageEngine, acked: Model, inFlight: [[UInt8]: [Cell]], context: String) throws {
        let all = try db.scan(from: [], to: nil, includeTombstones: true)
        var seen: Set<[UInt8]> = []
        for (k, cell) in all {
            seen.insert(k)
            let want = acked.cells[k]
            let allowed = (inFlight[k] ?? []) + (want.map { [$0] } ?? [])
            #expect(allowed.contains(cell), "\(context): key \(String(decoding: k, as: UTF8.self)) has \(cell), acked \(String(describing: want))")
            #expect(try db.get(k) == cell, "\(context): get and scan agree")
        }
        for (k, _) in acked.cells { #expect(seen.contains(k), "\(context): acknowledged key lost") }
    }

    @Test(arguments: [SyncPolicy.always, .group(windowMicros: 0)])
    func crashAtEveryPointKeepsAcknowledgedWrites(policy: SyncPolicy) throws {
        let long = getenv("TESSERA_LONG_TESTS") != nil
        let points = long ? Array(stride(from: 1, to: 3000, by: 7)) : Array(stride(from: 1, to: 1500, by: 37))
        for (i, point) in points.enumerated() {
            let fs = FaultInjectingFileSystem()
            var options = T.smallOptions(fs, sync: policy)
            options.memtableSizeBytes = 8 << 10
            let db = try StorageEngine.open(directory: "/db", options: options)
            fs.freezeAfter(operations: point)
            let (acked, inFlight) = workload(db, seed: UInt64(point), operations: 600)
            let after = fs.crash(tornWriteSeed: i % 2 == 0 ? UInt64(point) : nil)
            try? db.close()
            options.fileSystem = after
            let reopened = try StorageEngine.open(directory: "/db", options: options)
            try check(reopened, acked: acked, inFlight: inFlight, context: "\(policy) crash at op \(point)")
            // The reopened engine keeps working and survives a second clean reopen.
            try reopened.put([0xFF], [1], version: T.v(999_999))
            try reopened.close()
            let again = try StorageEngine.open(directory: "/db", options: options)
            try check(again, acked: { var m = acked; m.apply([0xFF], Cell(version: T.v(999_999), value: [1])); return m }(),
                      inFlight: inFlight, context: "\(policy) second reopen after \(point)")
            try again.close()
        }
    }

    @Test func crashDuringOpenRecoveryIsHarmless() throws {
        // A crash while open() replays the log and switches the manifest must leave a state that opens.
        let fs0 = FaultInjectingFileSystem()
        var options = T.smallOptions(fs0, sync: .always)
        let db = try StorageEngine.open(directory: "/db", options: options)
        var acked = Model()
        for i in 0..<200 {
            let c = Cell(version: T.v(UInt64(i + 1)), value: T.value(i))
            try db.apply(T.key(i % 50), c)
            acked.apply(T.key(i % 50), c)
        }
        var fs = fs0.crash()
        try? db.close()
        for point in stride(from: 1, to: 40, by: 3) {
            options.fileSystem = fs
            fs.freezeAfter(operations: point)
            if let partial = try? StorageEngine.open(directory: "/db", options: options) { try? partial.close() }
            fs = fs.crash(tornWriteSeed: UInt64(point))
        }
        options.fileSystem = fs
        let final = try StorageEngine.open(directory: "/db", options: options)
        try check(final, acked: acked, inFlight: [:], context: "after crashes during open")
        try final.close()
    }

    @Test func unsyncedWritesMayBeLostButNothingIsWrong() throws {
        // With .never nothing is promised after a power cut, but what survives must be a correct cell.
        let fs = FaultInjectingFileSystem()
        var options = T.smallOptions(fs, sync: .never)
        let db = try StorageEngine.open(directory: "/db", options: options)
        var written = Model()
        for i in 0..<3000 {
            let c = Cell(version: T.v(UInt64(i + 1)), value: T.value(i))
            try db.apply(T.key(i % 400), c)
            written.apply(T.key(i % 400), c)
        }
        let after = fs.crash(tornWriteSeed: 7)
        try? db.close()
        options.fileSystem = after
        let reopened = try StorageEngine.open(directory: "/db", options: options)
        var recovered = 0
        for (k, cell) in try reopened.scan(from: [], to: nil, includeTombstones: true) {
            recovered += 1
            let i = Int(cell.version.timestamp.physicalMillis) - 1
            #expect(cell.value == T.value(i), "value matches the write of its version")
            #expect(written.cells[k] != nil)
        }
        // Flushed tables were synced, so most of the data survives.
        #expect(recovered > 0)
        try reopened.close()
    }

    @Test func fullDiskGivesAClearErrorAndNoCorruption() throws {
        let fs = FaultInjectingFileSystem()
        var options = T.smallOptions(fs, sync: .always)
        options.memtableSizeBytes = 8 << 10
        let db = try StorageEngine.open(directory: "/db", options: options)
        var acked = Model()
        fs.failAppendsAfter(bytes: 60_000)
        var sawDiskFull = false
        var inFlight: [[UInt8]: [Cell]] = [:]
        for i in 0..<2000 {
            let c = Cell(version: T.v(UInt64(i + 1)), value: T.value(i, size: 100))
            do {
                try db.apply(T.key(i % 300), c)
                acked.apply(T.key(i % 300), c)
            } catch let e {
                inFlight[T.key(i % 300)] = [c]
                sawDiskFull = "\(e)".contains("disk full") || "\(e)".contains("errno 28") || "\(e)".contains("write-ahead log write failed")
                break
            }
        }
        #expect(sawDiskFull)
        // Reads keep working on what was written.
        for (k, c) in acked.cells.prefix(50) { #expect(try db.get(k) == c) }
        try? db.close()
        // Space is freed (budget lifted); after a reopen every acknowledged write is there.
        fs.failAppendsAfter(bytes: nil)
        options.fileSystem = fs.crash()
        let reopened = try StorageEngine.open(directory: "/db", options: options)
        try check(reopened, acked: acked, inFlight: inFlight, context: "after disk full")
        try reopened.close()
    }
}
