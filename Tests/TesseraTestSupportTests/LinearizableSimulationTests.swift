import Linearizability
import TesseraCluster
import TesseraCore
import TesseraTestSupport
import Testing

/// LINEARIZABLE (ABD) in the cluster simulator under partitions, crashes and coordinator clock skew, judged by
/// the checker; and QUORUM under the same skew caught non-linearizable (its versions follow wall clocks).
@Suite struct LinearizableSimulationTests {
    /// The faulty config plus clock skew of up to 2 s between nodes (far above message delays and timeouts).
    static func skewedConfig(seed: UInt64, level: ConsistencyLevel) -> SimulationConfig {
        var config = ClusterSimulationTests.faultyConfig(seed: seed)
        config.maxClockSkewMillis = 2000
        config.writeLevel = level
        config.readLevel = level
        return config
    }

    @Test func linearizableHistoriesUnderPartitionsCrashesAndClockSkewAreLinearizable() throws {
        let test = "LinearizableSimulationTests/linearizableHistoriesUnderPartitionsCrashesAndClockSkewAreLinearizable"
        let seeds = SimulationJudge.seeds(defaultCount: 300, base: 20_000)
        var totals = (ok: 0, fail: 0, info: 0, acked: 0, faulty: 0)
        for seed in seeds {
            let config = Self.skewedConfig(seed: seed, level: .linearizable)
            if config.partitions || config.crashes { totals.faulty += 1 }
            var simulator = ClusterSimulator(seed: seed, config: config)
            let result = simulator.run()
            totals.ok += result.ok
            totals.fail += result.failed
            totals.info += result.indeterminate
            totals.acked += result.acknowledgedWrites.count
            #expect(
                result.lostWrites.isEmpty,
                "acknowledged writes lost: \(result.lostWrites); replay: \(SimulationJudge.replayCommand(seed: seed, test: test))"
            )
            let check = try SimulationJudge.verdict(result)
            if check.verdict != .linearizable {
                Issue.record(
                    Comment(
                        rawValue: "not linearizable (\(check.verdict)): \(result.summary); history: "
                            + "\(SimulationJudge.save(result)); replay: \(SimulationJudge.replayCommand(seed: seed, test: test))"
                    )
                )
            }
        }
        if seeds.count > 1 {
            #expect(totals.faulty > seeds.count / 2, "\(totals)")
            #expect(totals.ok > 2 * totals.fail, "\(totals)")
            #expect(totals.fail > 0 && totals.info > 0 && totals.acked > 0, "\(totals)")
        }
    }

    /// The same skew breaks QUORUM: a coordinator whose clock is behind gives a later write a lower version, so
    /// the earlier write keeps winning and reads go back in time.
    @Test func quorumUnderTheSameClockSkewIsCaughtNonLinearizable() throws {
        var caught: [UInt64] = []
        for seed in SimulationJudge.seeds(defaultCount: 100, base: 20_000) {
            var config = Self.skewedConfig(seed: seed, level: .quorum)
            config.writePercent = 60
            var simulator = ClusterSimulator(seed: seed, config: config)
            if try SimulationJudge.verdict(simulator.run()).verdict == .notLinearizable { caught.append(seed) }
            if caught.count >= 3 { break }
        }
        #expect(caught.count > 0, "no seed of QUORUM under 2 s clock skew was judged non-linearizable")
    }
}
