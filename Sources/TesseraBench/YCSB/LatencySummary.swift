import Histogram

/// Latency percentiles of one operation type (or of all), in microseconds, from an HdrHistogram.
public struct LatencySummary: Sendable, Codable, Hashable {
    public var count: Int
    public var p50Micros: UInt64
    public var p95Micros: UInt64
    public var p99Micros: UInt64
    public var p999Micros: UInt64
    public var maxMicros: UInt64
    public var meanMicros: Double

    init(_ histogram: Histogram<UInt64>) {
        let has = histogram.totalCount > 0
        count = Int(histogram.totalCount)
        p50Micros = has ? histogram.valueAtPercentile(50) : 0
        p95Micros = has ? histogram.valueAtPercentile(95) : 0
        p99Micros = has ? histogram.valueAtPercentile(99) : 0
        p999Micros = has ? histogram.valueAtPercentile(99.9) : 0
        maxMicros = has ? histogram.max : 0
        meanMicros = has ? histogram.mean : 0
    }

    /// A histogram of microseconds up to two minutes, three significant digits.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    }
}
