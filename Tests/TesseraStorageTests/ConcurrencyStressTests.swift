import Foundation
import Synchronization
import Testing
import TesseraCore
@testable import TesseraStorage

/// Writers, readers and scanners in parallel with flushes and compactions (a tiny memtable makes them
/// frequent). Each value is derived from its key and version, so a reader can check any cell it sees; and
/// a read must never see a version older than one acknowledged before the read began.
@Suite struct ConcurrencyStressTests {
    static func value(_ key: Int, _ version: UInt64) -> [UInt8] {
        T.value(key, Int(version), size: 20 + key % 50)
    }

    @Test(arguments: [SyncPolicy.never, .group(windowMicros: 50)])
    func parallelReadersAndWritersSeeConsistentData(policy: SyncPolicy) throws {
        let fs = InMemoryFileSystem()
        var o = T.smallOptions(fs, sync: policy)
        o.memtableSizeBytes = 8 << 10
        let db = try StorageEngine.open(directory: "/db", options: o)
        let keys = 200
        let writers = 3
        let perWriter = ProcessInfo.processInfo.environment["TESSERA_LONG_TESTS"] != nil ? 20_000 : 2_500
        let shared = StressState(keys: keys)
        let group = DispatchGroup()

        for w in 0..<writers {
            group.enter()
            Thread {
                defer { shared.done.add(1, ordering: .relaxed); group.leave() }
                var rng = TestRNG(seed: UInt64(w + 1))
                for n in 0..<perWriter {
                    // Keys are partitioned by writer so versions per key increase monotonically.
                    let k = (Int.random(in: 0..<(keys / writers), using: &rng)) * writers + w
                    let version = UInt64(n + 1) * 10 + UInt64(w)
                    do {
                        if n % 10 == 0 {
                            var b = WriteBatch()
                            b.put(T.key(k), Self.value(k, version), version: T.v(version))
                            b.delete(T.key(100_000 + k), version: T.v(version))
                            try db.write(b)
                        } else {
                            try db.put(T.key(k), Self.value(k, version), version: T.v(version))
                        }
                        shared.acked.withLock { $0[k] = max($0[k], version) }
                    } catch {
                        shared.record("write failed: \(error)")
                        return
                    }
                }
            }.start()
        }
        for r in 0..<2 {
            group.enter()
            Thread {
                defer { group.leave() }
                var rng = TestRNG(seed: UInt64(100 + r))
                while shared.done.load(ordering: .relaxed) < writers {
                    let k = Int.random(in: 0..<keys, using: &rng)
                    let floor = shared.acked.withLock { $0[k] }
                    do {
                        let cell = try db.get(T.key(k))
                        let v = cell.map { $0.version.timestamp.physicalMillis } ?? 0
                        if v < floor { shared.record("key \(k): read version \(v) older than acknowledged \(floor)") }
                        if let cell, cell.value != Self.value(k, v) { shared.record("key \(k): value does not match version \(v)") }
                    } catch {
                        shared.record("get failed: \(error)")
                        return
                    }
                }
            }.start()
        }
        group.enter()
        Thread {
            defer { group.leave() }
            var scans = 0
            while shared.done.load(ordering: .relaxed) < writers {
                do {
                    let rows = try db.scan(from: T.key(0), to: T.key(keys))
                    for i in rows.indices.dropFirst() where !rows[i - 1].key.lexicographicallyPrecedes(rows[i].key) {
                        shared.record("scan out of order")
                    }
                    for row in rows {
                        let k = Int(String(decoding: row.key, as: UTF8.self))!
                        let v = row.cell.version.timestamp.physicalMillis
                        if row.cell.value != Self.value(k, v) { shared.record("scan: key \(k) value does not match version") }
                    }
                    scans += 1
                    if scans % 5 == 0 { try db.flush() }
                    if scans % 23 == 0 { try db.compactAll() }
                } catch {
                    shared.record("scan failed: \(error)")
                    return
                }
            }
        }.start()
        group.wait()
        let problems = shared.failures.withLock { $0 }
        #expect(problems.isEmpty, "\(problems)")
        // Final state equals the acknowledged newest version of every key.
        let final = shared.acked.withLock { $0 }
        for k in 0..<keys where final[k] > 0 {
            #expect(try db.get(T.key(k))?.version == T.v(final[k]))
        }
        #expect(db.stats().flushes > 0)
        try db.close()
    }
}

extension ConcurrencyStressTests {
    @Test func closeWhileWritersAreBusyEndsCleanlyAndKeepsAcknowledgedWrites() throws {
        let fs = InMemoryFileSystem()
        var o = T.smallOptions(fs, sync: .group(windowMicros: 20))
        o.memtableSizeBytes = 8 << 10
        let db = try StorageEngine.open(directory: "/db", options: o)
        let shared = StressState(keys: 4 * 1000)
        let group = DispatchGroup()
        for w in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                for n in 0..<1000 {
                    let k = w * 1000 + n
                    do {
                        try db.put(T.key(k), Self.value(k, 1), version: T.v(1))
                        shared.acked.withLock { $0[k] = 1 }
                    } catch StorageError.closed {
                        return
                    } catch {
                        shared.record("unexpected error \(error)")
                        return
                    }
                }
            }.start()
        }
        usleepMs(30)
        try db.close()
        #expect(group.wait(timeout: .now() + 30) == .success, "writers finished after close")
        #expect(shared.failures.withLock { $0 }.isEmpty)
        let reopened = try StorageEngine.open(directory: "/db", options: o)
        let acked = shared.acked.withLock { $0 }
        for k in acked.indices where acked[k] == 1 {
            #expect(try reopened.get(T.key(k))?.value == Self.value(k, 1), "acknowledged key \(k)")
        }
        try reopened.close()
    }
}

/// State shared by the stress test's threads.
final class StressState: Sendable {
    let acked: Mutex<[UInt64]>
    let failures = Mutex([String]())
    let done = Atomic<Int>(0)

    init(keys: Int) { acked = Mutex([UInt64](repeating: 0, count: keys)) }

    func record(_ s: String) { failures.withLock { if $0.count < 20 { $0.append(s) } } }
}
