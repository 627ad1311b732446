public import TesseraCore

/// YCSB's `SkewedLatestGenerator` (workload D): the most recently inserted items are the most popular.
/// Draws a zipfian rank r over the items inserted so far and returns `latest - r`, growing the zipfian's
/// item count (and ζ, incrementally) as inserts are acknowledged.
public struct SkewedLatestGenerator: Sendable {
    private var zipfian: ZipfianGenerator

    /// - Parameter itemCount: items present at the start (the loaded records), at least 1.
    public init(itemCount: Int) { zipfian = ZipfianGenerator(itemCount: itemCount) }

    /// An item in `0..<available`, skewed to the newest; `available` is the number of items inserted and
    /// acknowledged so far (items are numbered in insertion order).
    public mutating func next(_ random: inout SplitMix64, available: Int) -> Int {
        precondition(available >= 1)
        zipfian.grow(to: available)
        let rank = zipfian.next(&random)
        return Swift.max(0, available - 1 - rank)
    }
}
