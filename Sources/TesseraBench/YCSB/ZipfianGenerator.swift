public import TesseraCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// YCSB's `ZipfianGenerator`: ranks `0..<itemCount`, rank 0 the most popular, P(rank i) ∝ 1/(i+1)^θ, drawn with
/// the closed-form method of Gray et al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994),
/// which is exact for ranks 0 and 1 and approximates the rest.
///
/// The item count may grow (`SkewedLatestGenerator`): ζ(n, θ) is then extended incrementally, as YCSB does.
public struct ZipfianGenerator: Sendable {
    /// YCSB's default skew.
    public static let defaultConstant = 0.99

    public private(set) var itemCount: Int
    public let theta: Double
    /// ζ(itemCount, θ) = Σ_{i=1..n} 1/i^θ.
    public private(set) var zetaN: Double
    private let zeta2Theta: Double
    private let alpha: Double
    private var eta: Double

    /// - Parameters:
    ///   - itemCount: ranks drawn from `0..<itemCount`, at least 1.
    ///   - theta: the skew, in (0, 1).
    ///   - zetaN: ζ(itemCount, θ) when already known (YCSB precomputes it for its 10^10-item scrambled space).
    public init(itemCount: Int, theta: Double = defaultConstant, zetaN: Double? = nil) {
        precondition(itemCount >= 1 && theta > 0 && theta < 1, "zipfian needs itemCount >= 1 and 0 < theta < 1")
        self.itemCount = itemCount
        self.theta = theta
        self.zeta2Theta = Self.zeta(from: 0, to: 2, theta: theta)
        self.alpha = 1 / (1 - theta)
        let zeta = zetaN ?? Self.zeta(from: 0, to: itemCount, theta: theta)
        self.zetaN = zeta
        self.eta = Self.eta(itemCount: itemCount, theta: theta, zeta2Theta: zeta2Theta, zetaN: zeta)
    }

    /// Σ_{i=from+1..to} 1/i^θ.
    public static func zeta(from: Int, to: Int, theta: Double) -> Double {
        var sum = 0.0
        var i = from
        while i < to {
            sum += 1 / pow(Double(i + 1), theta)
            i += 1
        }
        return sum
    }

    private static func eta(itemCount: Int, theta: Double, zeta2Theta: Double, zetaN: Double) -> Double {
        (1 - pow(2 / Double(itemCount), 1 - theta)) / (1 - zeta2Theta / zetaN)
    }

    /// Grows the rank space to `newCount` items (never shrinks), extending ζ by the new terms only.
    public mutating func grow(to newCount: Int) {
        guard newCount > itemCount else { return }
        zetaN += Self.zeta(from: itemCount, to: newCount, theta: theta)
        itemCount = newCount
        eta = Self.eta(itemCount: itemCount, theta: theta, zeta2Theta: zeta2Theta, zetaN: zetaN)
    }

    /// The next rank in `0..<itemCount`.
    public func next(_ random: inout SplitMix64) -> Int {
        let u = random.unitInterval()
        let uz = u * zetaN
        if uz < 1 { return 0 }
        if uz < 1 + pow(0.5, theta) { return Swift.min(1, itemCount - 1) }
        let rank = Int(Double(itemCount) * pow(eta * u - eta + 1, alpha))
        return Swift.min(Swift.max(rank, 0), itemCount - 1)
    }

    /// The probability the exact Zipf law gives rank `rank` (0-based): 1/((rank+1)^θ · ζ(n, θ)).
    public func probability(ofRank rank: Int) -> Double { 1 / (pow(Double(rank + 1), theta) * zetaN) }
}
