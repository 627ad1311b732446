import Linearizability
import TesseraCore
public import TesseraTestSupport

/// `tessera-jepsen sim`: the deterministic cluster simulator (TesseraTestSupport's `ClusterSimulator`, which
/// runs the production coordinators over a seeded simulated network) under faults drawn from each seed, every
/// history judged by the same checker as real runs. Thousands of histories a minute; a seed replays exactly.
public enum SimulationRun {
    /// What the seeds showed.
    public struct Summary: Sendable {
        public var seeds = 0
        public var linearizable = 0
        public var notLinearizable: [UInt64] = []
        public var unknown: [UInt64] = []
        /// Seeds that lost an acknowledged write (fewer than W home replicas hold it at the end).
        public var lostWrites: [UInt64] = []
        public var ok = 0, fail = 0, info = 0
        public var seconds = 0.0
        public var mode: ConsistencyMode

        /// True when every seed kept the mode's promises.
        public var passed: Bool {
            lostWrites.isEmpty && (!mode.promisesLinearizability || (notLinearizable.isEmpty && unknown.isEmpty))
        }
    }

    /// The faults of one seed: node count, partitions, crashes, delays, drops, duplicates, disk errors and
    /// clock skew (up to `maxSkewMillis`), all drawn from the seed.
    public static func config(seed: UInt64, mode: ConsistencyMode, nemeses: [NemesisKind], maxSkewMillis: UInt64)
        -> SimulationConfig
    {
        var random = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D)
        var config = SimulationConfig()
        config.nodes = [3, 4, 5][random.below(3)]
        config.replicationFactor = 3
        config.writeLevel = mode.level
        config.readLevel = mode.level
        config.partitions = nemeses.contains(.partition) && random.below(4) != 0
        config.crashes = (nemeses.contains(.kill) || nemeses.contains(.restart)) && random.below(4) != 0
        config.maxClockSkewMillis = nemeses.contains(.skew) ? 1 + random.uniform(maxSkewMillis) : 0
        config.network = NetworkFaults(
            minDelayNanos: 1_000_000,
            maxDelayNanos: 2_000_000 + random.uniform(nemeses.contains(.pause) ? 200_000_000 : 20_000_000),
            dropPercent: random.uniform(6),
            duplicatePercent: random.uniform(10)
        )
        config.storageErrorPercent = random.uniform(4)
        config.timeoutMillis = 40 + UInt32(random.uniform(160))
        return config
    }

    /// Runs `seeds` from `firstSeed`; `progress` is called after each with the summary so far.
    public static func run(
        seeds: Int,
        firstSeed: UInt64,
        mode: ConsistencyMode,
        nemeses: [NemesisKind],
        maxSkewMillis: UInt64,
        progress: (Summary) -> Void = { _ in }
    ) throws(HarnessError) -> Summary {
        var summary = Summary(mode: mode)
        let clock = ContinuousClock()
        let start = clock.now
        for seed in firstSeed..<(firstSeed + UInt64(seeds)) {
            var simulator = ClusterSimulator(
                seed: seed,
                config: config(seed: seed, mode: mode, nemeses: nemeses, maxSkewMillis: maxSkewMillis)
            )
            let result = simulator.run()
            summary.seeds += 1
            summary.ok += result.ok
            summary.fail += result.failed
            summary.info += result.indeterminate
            if !result.lostWrites.isEmpty { summary.lostWrites.append(seed) }
            let verdict: Verdict
            do {
                let parsed = try HistoryParser.parse(text: result.jsonl, format: .jsonl, fileName: "seed-\(seed).jsonl")
                let history = try History(events: parsed.events)
                verdict = try LinearizabilityChecker.check(
                    history,
                    options: CheckOptions(model: .register, timeout: .seconds(10), parallelism: 1)
                ).verdict
            } catch {
                throw .runFailed("seed \(seed): the simulator's history does not parse (a bug): \(error)")
            }
            switch verdict {
            case .linearizable: summary.linearizable += 1
            case .notLinearizable: summary.notLinearizable.append(seed)
            case .unknown: summary.unknown.append(seed)
            }
            summary.seconds = (clock.now - start) / .seconds(1)
            progress(summary)
        }
        return summary
    }
}
