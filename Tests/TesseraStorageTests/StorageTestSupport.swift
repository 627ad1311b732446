import TesseraCore
@testable import TesseraStorage

/// Helpers shared by the engine tests.
enum T {
    static func key(_ i: Int) -> [UInt8] { Array(String(format16(i)).utf8) }
    static func format16(_ i: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: max(0, 16 - s.count)) + s
    }
    static func value(_ i: Int, _ salt: Int = 0, size: Int = 24) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var x = UInt64(bitPattern: Int64(i &* 31 &+ salt &* 7919 &+ 1))
        for j in 0..<size {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            out[j] = UInt8(truncatingIfNeeded: x >> 33)
        }
        return out
    }
    /// A version at wall-clock millisecond `ms` (logical 0) from node 1.
    static func v(_ ms: UInt64, node: UInt32 = 1) -> Version {
        Version(timestamp: HLCTimestamp(physicalMillis: ms, logical: 0), node: node)
    }

    /// Small geometry so tests exercise flushes, L0 compaction and deeper levels with little data.
    static func smallOptions(_ fs: any FileSystem, sync: SyncPolicy = .never) -> StorageOptions {
        var o = StorageOptions()
        o.fileSystem = fs
        o.syncPolicy = sync
        o.memtableSizeBytes = 16 << 10
        o.blockSizeBytes = 1024
        o.blockCacheBytes = 64 << 10
        o.levelOneMaxBytes = 64 << 10
        o.targetFileSizeBytes = 16 << 10
        o.level0CompactionTrigger = 4
        o.level0StopWritesTrigger = 12
        // Versions in tests use small millisecond values; "now" is close to them, so tombstones stay within grace.
        o.wallClockMillis = { 1_000_000 }
        return o
    }

    static func tempDirectory(_ name: String) -> String {
        "/tmp/tessera-storage-tests-\(getpidValue())-\(name)-\(UInt64.random(in: 0..<UInt64.max))"
    }
}

#if canImport(Glibc)
import Glibc
#endif

func getpidValue() -> Int32 { getpid() }

/// A seeded generator for reproducible randomized tests.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The reference model: the newest cell of each key, with the engine's rule (highest version wins; equal keeps
/// the first).
struct Model {
    var cells: [[UInt8]: Cell] = [:]
    mutating func apply(_ key: [UInt8], _ cell: Cell) {
        if let old = cells[key], old.version >= cell.version { return }
        cells[key] = cell
    }
    func scan(from: [UInt8], to: [UInt8]?, includeTombstones: Bool) -> [(key: [UInt8], cell: Cell)] {
        cells.filter { k, c in
            !k.lexicographicallyPrecedes(from) && (to.map { k.lexicographicallyPrecedes($0) } ?? true)
                && (includeTombstones || !c.isTombstone)
        }.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { ($0.key, $0.value) }
    }
}
