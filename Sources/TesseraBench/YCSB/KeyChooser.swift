public import TesseraCore

/// Picks record numbers for one worker of the run phase, with that worker's own seeded generator.
///
/// Records are numbered in insertion order: `0..<recordCount` were loaded, later inserts continue the
/// sequence. As YCSB's `CoreWorkload` does, the uniform, zipfian and hotspot choosers cover the loaded
/// records plus the inserts the run is expected to make, and redraw a number that is not inserted yet;
/// the latest chooser follows the insert sequence itself.
public struct KeyChooser: Sendable {
    private enum Kind: Sendable {
        case uniform(Int)
        case zipfian(ScrambledZipfianGenerator)
        case hotspot(HotspotGenerator)
        case latest(SkewedLatestGenerator)
    }

    private var kind: Kind
    private var random: SplitMix64

    /// - Parameters:
    ///   - space: records the chooser covers (loaded records plus expected inserts), at least 1.
    ///   - loaded: records present before the run (the latest chooser starts from them), at least 1.
    public init(
        _ distribution: KeyDistribution,
        space: Int,
        loaded: Int,
        seed: UInt64,
        hotSetFraction: Double = 0.2,
        hotOperationFraction: Double = 0.8
    ) {
        switch distribution {
        case .uniform: kind = .uniform(space)
        case .zipfian: kind = .zipfian(ScrambledZipfianGenerator(itemCount: space))
        case .hotspot:
            kind = .hotspot(
                HotspotGenerator(
                    itemCount: space, hotSetFraction: hotSetFraction, hotOperationFraction: hotOperationFraction))
        case .latest: kind = .latest(SkewedLatestGenerator(itemCount: loaded))
        }
        random = SplitMix64(seed: seed)
    }

    /// The next record number below `available` (records inserted and acknowledged so far, at least 1).
    public mutating func next(available: Int) -> Int {
        switch kind {
        case .latest(var latest):
            let value = latest.next(&random, available: available)
            kind = .latest(latest)
            return value
        case .uniform, .zipfian, .hotspot:
            // YCSB redraws numbers beyond the acknowledged inserts; bounded, then fold, so a tiny `available`
            // cannot spin.
            for _ in 0..<64 {
                let value = draw()
                if value < available { return value }
            }
            return draw() % available
        }
    }

    /// A uniform draw in [0, 1) from this chooser's generator (the workload's operation mix uses it).
    public mutating func unitInterval() -> Double { random.unitInterval() }

    private mutating func draw() -> Int {
        switch kind {
        case .uniform(let count): return random.below(count)
        case .zipfian(let generator): return generator.next(&random)
        case .hotspot(let generator): return generator.next(&random)
        case .latest: return 0
        }
    }
}
