import TesseraCore
import Foundation
import Testing
import TesseraBench

/// Correctness (not speed) of the storage benchmark: a small in-process run of every phase.
@Suite struct StorageBenchmarkRunnerTests {
    @Test func smokeRunOfEveryPhaseReportsConsistentCounts() throws {
        let dir = NSTemporaryDirectory() + "tessera-bench-smoke-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = StorageBenchmarkConfiguration()
        config.num = 2_000
        config.syncNum = 200
        config.bigNum = 300
        config.directory = dir
        var runner = StorageBenchmarkRunner(configuration: config)
        var reported: [String] = []
        let results = try runner.run(onPhase: { reported.append($0.phase) })
        #expect(results.map(\.phase) == StorageWorkload.Phase.allCases.map(\.rawValue))
        #expect(reported == results.map(\.phase))
        for r in results {
            #expect(r.ops > 0, "\(r.phase)")
            #expect(r.seconds > 0, "\(r.phase)")
            #expect(r.json.hasPrefix("{\"phase\":\"\(r.phase)\",\"ops\":\(r.ops),"))
        }
        let byPhase = Dictionary(uniqueKeysWithValues: results.map { ($0.phase, $0) })
        #expect(byPhase["readrandom"]?.found == byPhase["readrandom"]?.ops)
        #expect(byPhase["readmissing"]?.found == 0)
        #expect(byPhase["readseq"]?.ops == 2_000)
        #expect(byPhase["fillsync"]?.ops == 200)
        #expect(byPhase["fillrandom4k"]?.ops == 300)
        #expect(byPhase["fillrandom"]?.writeAmplification != nil)
        #expect(byPhase["readrandom"]?.writeAmplification == nil)
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test func workloadMatchesThePeerHarness() {
        // Keys are %016llu.
        #expect(StorageWorkload.key(0) == Array("0000000000000000".utf8))
        #expect(StorageWorkload.key(1_999_998) == Array("0000000001999998".utf8))
        #expect(StorageWorkload.key(UInt64(9_999_999_999_999_999)) == Array("9999999999999999".utf8))
        // SplitMix64 reference output for seed 0 (Vigna's splitmix64.c).
        var r = SplitMix64(seed: 0)
        #expect(r.next() == 0xE220_A839_7B1D_CDAF)
        // A permutation holds every index once.
        let p = StorageWorkload.permutation(1_000, seed: 42)
        #expect(Set(p).count == 1_000 && p.max() == 999 && p != p.sorted())
        // Values: 100-byte pieces of 50 printable bytes written twice.
        var g = StorageValueGenerator()
        let v = g.next(100)
        #expect(v.count == 100 && Array(v[0..<50]) == Array(v[50..<100]))
        #expect(v.allSatisfy { $0 >= 32 && $0 < 127 })
        #expect(g.next(100) != v)
    }

    @Test func phaseNamesParseIncludingThePeersAlias() {
        #expect(StorageWorkload.Phase(name: "fill4k") == .fillrandom4k)
        #expect(StorageWorkload.Phase(name: "readseq") == .readseq)
        #expect(StorageWorkload.Phase(name: "nope") == nil)
    }
}
