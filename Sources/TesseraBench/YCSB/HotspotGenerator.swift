public import TesseraCore

/// YCSB's `HotspotIntegerGenerator`: a hot set (the first `hotSetFraction` of `0..<itemCount`) receives
/// `hotOperationFraction` of the draws, uniformly; the rest go uniformly to the cold items. YCSB's defaults:
/// 20% of the items get 80% of the operations.
public struct HotspotGenerator: Sendable {
    public let itemCount: Int
    public let hotSetFraction: Double
    public let hotOperationFraction: Double
    /// Items in the hot set (at least 1) and in the cold set.
    public let hotCount: Int
    public let coldCount: Int

    public init(itemCount: Int, hotSetFraction: Double = 0.2, hotOperationFraction: Double = 0.8) {
        precondition(itemCount >= 1, "hotspot needs at least one item")
        precondition((0...1).contains(hotSetFraction) && (0...1).contains(hotOperationFraction))
        self.itemCount = itemCount
        self.hotSetFraction = hotSetFraction
        self.hotOperationFraction = hotOperationFraction
        let hot = Swift.min(itemCount, Swift.max(1, Int(Double(itemCount) * hotSetFraction)))
        self.hotCount = hot
        self.coldCount = itemCount - hot
    }

    public func next(_ random: inout SplitMix64) -> Int {
        if coldCount == 0 || random.unitInterval() < hotOperationFraction { return random.below(hotCount) }
        return hotCount + random.below(coldCount)
    }
}
