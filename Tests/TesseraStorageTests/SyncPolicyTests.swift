import Foundation
import Testing
import TesseraCore
@testable import TesseraStorage

/// What each sync policy makes durable, checked with a simulated power cut.
@Suite struct SyncPolicyTests {
    func writeAndCrash(_ policy: SyncPolicy, count: Int, wait: Double = 0) throws -> (StorageEngine, Int) {
        let fs = FaultInjectingFileSystem()
        var o = T.smallOptions(fs, sync: policy)
        o.memtableSizeBytes = 1 << 20
        let db = try StorageEngine.open(directory: "/db", options: o)
        for i in 0..<count { try db.put(T.key(i), T.value(i), version: T.v(1)) }
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        let after = fs.crash()
        try? db.close()
        o.fileSystem = after
        let reopened = try StorageEngine.open(directory: "/db", options: o)
        let survived = try reopened.scan(from: [], to: nil).count
        return (reopened, survived)
    }

    @Test func alwaysKeepsEveryAcknowledgedWrite() throws {
        let (db, survived) = try writeAndCrash(.always, count: 200)
        #expect(survived == 200)
        try db.close()
    }

    @Test func periodicSyncsWithinThePeriod() throws {
        let (db, survived) = try writeAndCrash(.periodic(millis: 10), count: 200, wait: 0.5)
        #expect(survived == 200)
        try db.close()
    }

    @Test func neverLosesUnsyncedWritesAtAPowerCut() throws {
        let (db, survived) = try writeAndCrash(.never, count: 200)
        #expect(survived == 0)  // nothing was synced: the documented risk of .never
        try db.close()
    }

    @Test func groupCommitSharesSyncsAmongConcurrentWriters() throws {
        let fs = FaultInjectingFileSystem()
        var o = T.smallOptions(fs, sync: .group(windowMicros: 200))
        o.memtableSizeBytes = 1 << 20
        let db = try StorageEngine.open(directory: "/db", options: o)
        fs.setSyncLatency(micros: 2000)  // a slow disk: writers pile up behind each sync
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for w in 0..<8 {
            group.enter()
            Thread {
                defer { group.leave() }
                start.wait()  // all writers start together
                for i in 0..<25 { try? db.put(T.key(w * 1000 + i), T.value(i), version: T.v(1)) }
            }.start()
        }
        usleepMs(50)
        for _ in 0..<8 { start.signal() }
        group.wait()
        let st = db.stats()
        #expect(st.walWrites == 200)
        #expect(st.walSyncs < st.walWrites, "group commit: \(st.walSyncs) syncs for \(st.walWrites) writes")
        let after = fs.crash()
        try? db.close()
        o.fileSystem = after
        let reopened = try StorageEngine.open(directory: "/db", options: o)
        #expect(try reopened.scan(from: [], to: nil).count == 200)
        try reopened.close()
    }
}
