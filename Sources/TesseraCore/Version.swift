/// The version every write carries: a hybrid logical clock timestamp plus the coordinator's node tag.
///
/// Versions are totally ordered: first by `timestamp`, then by `node` as a tie-break. The highest version
/// wins everywhere (memtable, compaction, read reconciliation, repair). See docs/architecture.md.
///
/// On disk and on the wire a version is 12 bytes: `timestamp` as UInt64 then `node` as UInt32
/// (byte order is the container's: little-endian on disk, big-endian on the wire).
public struct Version: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The HLC timestamp (see `HLCTimestamp` for the packing).
    public var timestamp: HLCTimestamp
    /// The coordinating node's tag (`NodeID.tag`), a tie-break between equal timestamps.
    public var node: UInt32

    /// The lowest version: older than every real write.
    public static let zero = Version(timestamp: HLCTimestamp(rawValue: 0), node: 0)

    /// Size of the encoded form in bytes. DO NOT CHANGE: on disk and on the wire.
    public static let encodedSize = 12

    @inlinable
    public init(timestamp: HLCTimestamp, node: UInt32) {
        self.timestamp = timestamp
        self.node = node
    }

    @inlinable
    public static func < (lhs: Version, rhs: Version) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        return lhs.node < rhs.node
    }

    public var description: String { "\(timestamp)@\(String(node, radix: 16))" }
}

/// A hybrid logical clock timestamp packed into 64 bits: the upper 48 bits are physical milliseconds since the
/// Unix epoch, the lower 16 bits a logical counter. The packed integer orders exactly as (physical, logical).
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The packed value. DO NOT CHANGE the packing: on disk and on the wire.
    public var rawValue: UInt64

    /// Number of bits of the logical counter.
    public static let logicalBits: UInt64 = 16
    /// The largest logical counter value.
    public static let maxLogical: UInt16 = .max
    /// The largest physical part (2^48 - 1 ms: the year 10889).
    public static let maxPhysicalMillis: UInt64 = (1 << 48) - 1
    /// The largest timestamp; a clock saturates here instead of wrapping.
    public static let max = HLCTimestamp(rawValue: .max)

    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable
    public init(physicalMillis: UInt64, logical: UInt16) {
        precondition(physicalMillis < (1 << 48), "physical time out of range")
        self.rawValue = (physicalMillis << HLCTimestamp.logicalBits) | UInt64(logical)
    }

    /// Physical milliseconds since the Unix epoch.
    @inlinable
    public var physicalMillis: UInt64 { rawValue >> HLCTimestamp.logicalBits }
    /// The logical counter.
    @inlinable
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    @inlinable
    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "\(physicalMillis).\(logical)" }
}
