public import TesseraCore

extension SplitMix64 {
    /// A double in [0, 1) from the top 53 bits: the uniform draw YCSB's generators take (`Random.nextDouble`).
    @inline(__always)
    public mutating func unitInterval() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
