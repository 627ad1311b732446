import Testing
import TesseraCore
@testable import TesseraStorage

#if canImport(Glibc)
import Glibc
#endif

/// Thousands of random operations against the engine and an in-memory dictionary of newest versions.
/// A failure names the seed; rerun one seed with TESSERA_SEED=<seed>.
@Suite struct ModelBasedTests {
    static var seeds: [UInt64] {
        if let s = getenv("TESSERA_SEED").flatMap({ UInt64(String(cString: $0)) }) { return [s] }
        let long = getenv("TESSERA_LONG_TESTS") != nil
        return long ? Array(1...40) : [1, 2, 3, 4]
    }

    @Test(arguments: seeds)
    func randomOperationsMatchTheModel(seed: UInt64) throws {
        let fs = InMemoryFileSystem()
        var rng = TestRNG(seed: seed)
        var options = T.smallOptions(fs)
        options.memtableSizeBytes = 8 << 10
        options.backgroundCompaction = seed % 2 == 0
        var db = try StorageEngine.open(directory: "/db", options: options)
        var model = Model()
        let operations = getenv("TESSERA_LONG_TESTS") != nil ? 20_000 : 3_000
        let keySpace = 400
        func randomKey() -> [UInt8] { T.key(Int.random(in: 0..<keySpace, using: &rng)) }
        func randomVersion() -> Version { T.v(UInt64.random(in: 1...5000, using: &rng), node: UInt32.random(in: 0...2, using: &rng)) }
        for step in 0..<operations {
            let context = "seed \(seed) step \(step)"
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<45:
                let k = randomKey()
                let c = Cell(version: randomVersion(), value: T.value(step, size: Int.random(in: 0..<200, using: &rng)))
                try db.put(k, c.value!, version: c.version)
                model.apply(k, c)
            case 45..<55:
                let k = randomKey()
                let v = randomVersion()
                try db.delete(k, version: v)
                model.apply(k, .tombstone(v))
            case 55..<62:
                var batch = WriteBatch()
                var cells: [([UInt8], Cell)] = []
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let k = randomKey()
                    let c = Bool.random(using: &rng) ? Cell(version: randomVersion(), value: T.value(step))
                        : .tombstone(randomVersion())
                    batch.apply(k, c)
                    cells.append((k, c))
                }
                try db.write(batch)
                for (k, c) in cells { model.apply(k, c) }
            case 62..<85:
                let k = randomKey()
                let got = try db.get(k)
                #expect(got == model.cells[k], "\(context): get \(k)")
            case 85..<92:
                let a = randomKey()
                let b = randomKey()
                let (lo, hi) = a.lexicographicallyPrecedes(b) ? (a, b) : (b, a)
                let tomb = Bool.random(using: &rng)
                let got = try db.scan(from: lo, to: hi, includeTombstones: tomb)
                let want = model.scan(from: lo, to: hi, includeTombstones: tomb)
                #expect(got.map(\.key) == want.map(\.key), "\(context): scan keys")
                #expect(got.map(\.cell) == want.map(\.cell), "\(context): scan cells")
            case 92..<95:
                try db.flush()
            case 95..<97:
                try db.compactAll()
            default:
                try db.close()
                db = try StorageEngine.open(directory: "/db", options: options)
            }
        }
        let all = try db.scan(from: [], to: nil, includeTombstones: true)
        let want = model.scan(from: [], to: nil, includeTombstones: true)
        #expect(all.map(\.key) == want.map(\.key), "seed \(seed): final scan")
        #expect(all.map(\.cell) == want.map(\.cell), "seed \(seed): final scan cells")
        try db.close()
    }
}
