import Testing

@testable import TesseraJepsen

/// `tessera-jepsen sim`: the simulator's histories through the same checker as real runs.
@Suite("Simulated runs")
struct SimulationRunTests {
    @Test("QUORUM under crashes and partitions: every seed linearizable, no acknowledged write lost")
    func quorumHolds() throws {
        let summary = try SimulationRun.run(
            seeds: 200, firstSeed: 1, mode: .quorum, nemeses: [.kill, .partition], maxSkewMillis: 0
        )
        #expect(summary.seeds == 200)
        #expect(summary.linearizable == 200, "not linearizable: \(summary.notLinearizable), unknown: \(summary.unknown)")
        #expect(summary.lostWrites.isEmpty)
        #expect(summary.passed)
        #expect(summary.fail > 0 && summary.info > 0, "the faults must have bitten: \(summary.fail) fail, \(summary.info) info")
    }

    @Test("LINEARIZABLE under crashes, partitions and clock skew: every seed linearizable")
    func linearizableHoldsUnderSkew() throws {
        let summary = try SimulationRun.run(
            seeds: 200, firstSeed: 1, mode: .linearizable, nemeses: [.kill, .partition, .skew], maxSkewMillis: 200
        )
        #expect(summary.seeds == 200)
        #expect(summary.linearizable == 200, "not linearizable: \(summary.notLinearizable), unknown: \(summary.unknown)")
        #expect(summary.lostWrites.isEmpty)
        #expect(summary.passed)
    }

    @Test("the weak modes are caught: ONE under partitions, QUORUM under clock skew with partitions")
    func weakModesAreCaught() throws {
        let one = try SimulationRun.run(seeds: 100, firstSeed: 1, mode: .one, nemeses: [.partition], maxSkewMillis: 0)
        #expect(one.notLinearizable.count > 10, "\(one.notLinearizable.count) of 100 seeds caught")
        #expect(one.passed, "ONE promises no lost acknowledged write, and kept it")
        let quorum = try SimulationRun.run(
            seeds: 200, firstSeed: 1, mode: .quorum, nemeses: [.skew, .partition], maxSkewMillis: 200
        )
        #expect(!quorum.notLinearizable.isEmpty, "QUORUM with skewed clocks must be caught in some of 200 seeds")
    }

    @Test("a seed replays exactly")
    func seedsReplay() throws {
        let a = try SimulationRun.run(seeds: 5, firstSeed: 3, mode: .quorum, nemeses: [.skew, .partition], maxSkewMillis: 200)
        let b = try SimulationRun.run(seeds: 5, firstSeed: 3, mode: .quorum, nemeses: [.skew, .partition], maxSkewMillis: 200)
        #expect(a.notLinearizable == b.notLinearizable)
        #expect(a.ok == b.ok && a.fail == b.fail && a.info == b.info)
    }
}
