import Linearizability
import TesseraCluster
import TesseraCore
import TesseraTestSupport
import Testing

/// The cluster simulator on the production coordinators, judged by the checker. A failing seed prints the
/// command that replays it (`TESSERA_SIM_SEED=...`).
@Suite struct ClusterSimulationTests {
    /// Faults drawn from the seed: partitions, crashes, drops, duplicates, disk errors, stale failure-detector
    /// views. None of them breaks quorum intersection (strict quorums count only home replicas).
    static func faultyConfig(seed: UInt64) -> SimulationConfig {
        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D)
        var config = SimulationConfig()
        config.nodes = [3, 4, 5][rng.below(3)]
        config.replicationFactor = 3
        config.partitions = rng.uniform(2) == 0
        config.crashes = rng.uniform(2) == 0
        config.network = NetworkFaults(
            minDelayNanos: 1_000_000,
            maxDelayNanos: 2_000_000 + rng.uniform(20_000_000),
            dropPercent: rng.uniform(6),
            duplicatePercent: rng.uniform(10)
        )
        config.storageErrorPercent = rng.uniform(4)
        config.timeoutMillis = 40 + UInt32(rng.uniform(160))
        return config
    }

    @Test func quorumStrictHistoriesAreLinearizableAndKeepAcknowledgedWrites() throws {
        let test = "ClusterSimulationTests/quorumStrictHistoriesAreLinearizableAndKeepAcknowledgedWrites"
        var totals = (ok: 0, fail: 0, info: 0, acked: 0)
        for seed in SimulationJudge.seeds(defaultCount: 1000, base: 1) {
            var simulator = ClusterSimulator(seed: seed, config: Self.faultyConfig(seed: seed))
            let result = simulator.run()
            totals.ok += result.ok
            totals.fail += result.failed
            totals.info += result.indeterminate
            totals.acked += result.acknowledgedWrites.count
            let lost = result.lostWrites
            #expect(
                lost.isEmpty,
                "acknowledged writes lost: \(lost) (\(result.summary)); replay: \(SimulationJudge.replayCommand(seed: seed, test: test))"
            )
            let check = try SimulationJudge.verdict(result)
            if check.verdict != .linearizable {
                let message: String =
                    "not linearizable (\(check.verdict)): \(result.summary); history: \(SimulationJudge.save(result)); "
                    + "replay: \(SimulationJudge.replayCommand(seed: seed, test: test))"
                Issue.record(Comment(rawValue: message))
            }
        }
        // The faults really happened: some operations succeeded, some were refused, some were left in doubt.
        if SimulationJudge.seeds(defaultCount: 1000, base: 1).count > 1 {
            #expect(totals.ok > 2 * totals.fail, "\(totals)")
            #expect(totals.fail > 0 && totals.info > 0 && totals.acked > 0, "\(totals)")
        }
    }

    /// The simulator is not too weak to catch a violation: R = W = ONE under partitions is caught stale.
    @Test func weakLevelsUnderPartitionsAreCaught() throws {
        var caught: [UInt64] = []
        for seed in SimulationJudge.seeds(defaultCount: 200, base: 5000) {
            var config = Self.faultyConfig(seed: seed)
            config.partitions = true
            config.writeLevel = .one
            config.readLevel = .one
            config.operationsPerClient = 12
            var simulator = ClusterSimulator(seed: seed, config: config)
            let result = simulator.run()
            if try SimulationJudge.verdict(result).verdict == .notLinearizable { caught.append(seed) }
        }
        #expect(caught.count > 0, "no seed of ONE/ONE under partitions was judged non-linearizable")
    }

    @Test func aSeedReplaysExactly() {
        let config = Self.faultyConfig(seed: 42)
        var a = ClusterSimulator(seed: 42, config: config)
        var b = ClusterSimulator(seed: 42, config: config)
        var c = ClusterSimulator(seed: 43, config: config)
        let first = a.run()
        #expect(first.history == b.run().history)
        #expect(first.history != c.run().history)
        #expect(first.history.count > 10)
    }
}
