/// How a `SimulatedNetwork` misbehaves.
public struct NetworkFaults: Sendable, Equatable {
    /// One-way delay range in nanoseconds (uniform).
    public var minDelayNanos: UInt64
    public var maxDelayNanos: UInt64
    /// Percent of messages lost.
    public var dropPercent: UInt64
    /// Percent of messages delivered twice.
    public var duplicatePercent: UInt64

    public init(minDelayNanos: UInt64 = 1_000_000, maxDelayNanos: UInt64 = 8_000_000, dropPercent: UInt64 = 0, duplicatePercent: UInt64 = 0) {
        self.minDelayNanos = minDelayNanos
        self.maxDelayNanos = max(minDelayNanos, maxDelayNanos)
        self.dropPercent = dropPercent
        self.duplicatePercent = duplicatePercent
    }

    /// A reliable network with 1-8 ms delays.
    public static let reliable = NetworkFaults()
}

