public import TesseraCore

/// YCSB's `ScrambledZipfianGenerator`: zipfian popularity (θ = 0.99) whose popular items are scattered over
/// `0..<itemCount` instead of clustered at the low end.
///
/// As YCSB does, ranks are drawn from a fixed space of 10^10 items (ζ precomputed), then hashed with FNV-1 64
/// and reduced modulo `itemCount`. The hottest item therefore gets 1/ζ(10^10, 0.99) = 3.78% of the draws
/// whatever `itemCount` is (plus its share of the hashed tail), against 1/ζ(itemCount, 0.99) for a plain
/// zipfian (6.95% over 10^6 items); the top ranks keep distinct items as long as they do not collide.
public struct ScrambledZipfianGenerator: Sendable {
    /// YCSB's rank space and its ζ(10^10, 0.99).
    public static let rankSpace = 10_000_000_000
    public static let rankSpaceZeta = 26.46902820178302

    public let itemCount: Int
    private let zipfian: ZipfianGenerator

    public init(itemCount: Int) {
        precondition(itemCount >= 1, "scrambled zipfian needs at least one item")
        self.itemCount = itemCount
        self.zipfian = ZipfianGenerator(
            itemCount: Self.rankSpace, theta: ZipfianGenerator.defaultConstant, zetaN: Self.rankSpaceZeta)
    }

    /// The item a rank maps to.
    public func item(ofRank rank: Int) -> Int { Int(FNVHash.hash64(UInt64(rank)) % UInt64(itemCount)) }

    /// The next item in `0..<itemCount`.
    public func next(_ random: inout SplitMix64) -> Int { item(ofRank: zipfian.next(&random)) }

    /// The exact probability of rank `rank` in the 10^10 space (before scrambling).
    public func probability(ofRank rank: Int) -> Double { zipfian.probability(ofRank: rank) }
}
