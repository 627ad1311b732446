/// A hybrid logical clock (Kulkarni et al., 2014) as a pure value: time comes in as an argument.
///
/// `now(physicalMillis:)` issues a timestamp for a local event (a write this node coordinates);
/// `observe(_:physicalMillis:)` advances past a timestamp seen in a message. Issued timestamps strictly
/// increase even when the physical clock stands still or goes backwards. The caller supplies wall time,
/// so tests can drive it and the node can apply a test-mode clock offset.
///
/// The clock never wraps. `observe(_:physicalMillis:maxOffsetMillis:)` refuses a timestamp whose physical part
/// is more than the maximum clock offset ahead of the local wall clock (CockroachDB's `--max-offset`), so the
/// clock cannot be dragged far into the future by one bad message. Should `last` still reach the largest
/// representable timestamp, `now` saturates there (returns `HLCTimestamp.max` again) instead of wrapping to 0.
public struct HybridLogicalClock: Sendable {
    /// The last timestamp issued or observed.
    public private(set) var last: HLCTimestamp

    /// The default maximum clock offset between nodes: 500 ms, as CockroachDB's `--max-offset`.
    public static let defaultMaxOffsetMillis: UInt64 = 500

    public init(last: HLCTimestamp = HLCTimestamp(rawValue: 0)) {
        self.last = last
    }

    /// Issues a timestamp greater than every one issued or observed so far (equal to `last` only once the clock
    /// is saturated at `HLCTimestamp.max`, which a checked clock never reaches before the year 10889).
    public mutating func now(physicalMillis: UInt64) -> HLCTimestamp {
        let candidate = HLCTimestamp(physicalMillis: min(physicalMillis, HLCTimestamp.maxPhysicalMillis), logical: 0)
        if candidate > last {
            last = candidate
        } else if last.rawValue < UInt64.max {
            // A full logical counter carries into the physical part: the clock runs ahead by 1 ms, as in the paper.
            last = HLCTimestamp(rawValue: last.rawValue + 1)
        }
        return last
    }

    /// Moves the clock past a timestamp seen from another node, so later local timestamps exceed it. Unchecked:
    /// use `observe(_:physicalMillis:maxOffsetMillis:)` for timestamps that come from the wire.
    public mutating func observe(_ remote: HLCTimestamp, physicalMillis: UInt64) {
        let local = HLCTimestamp(physicalMillis: min(physicalMillis, HLCTimestamp.maxPhysicalMillis), logical: 0)
        let highest = max(local, remote, last)
        if highest > last { last = highest }
    }

    /// Checks `remote` against the maximum clock offset, then observes it. A timestamp whose physical part is
    /// more than `maxOffsetMillis` ahead of `physicalMillis` is refused: the clock is left unchanged and the
    /// error says by how much it was ahead.
    public mutating func observe(
        _ remote: HLCTimestamp,
        physicalMillis: UInt64,
        maxOffsetMillis: UInt64
    ) throws(ClockOffsetError) {
        try Self.check(remote, physicalMillis: physicalMillis, maxOffsetMillis: maxOffsetMillis)
        observe(remote, physicalMillis: physicalMillis)
    }

    /// Throws unless `remote` is at most `maxOffsetMillis` ahead of `physicalMillis` (no state involved).
    public static func check(
        _ remote: HLCTimestamp,
        physicalMillis: UInt64,
        maxOffsetMillis: UInt64
    ) throws(ClockOffsetError) {
        let limit = physicalMillis.addingReportingOverflow(maxOffsetMillis)
        if limit.overflow || remote.physicalMillis <= limit.partialValue { return }
        throw ClockOffsetError(
            remote: remote,
            localPhysicalMillis: physicalMillis,
            aheadMillis: remote.physicalMillis - physicalMillis,
            maxOffsetMillis: maxOffsetMillis
        )
    }
}

/// A timestamp from another node too far ahead of this node's clock.
public struct ClockOffsetError: Error, Hashable, Sendable, CustomStringConvertible {
    public var remote: HLCTimestamp
    public var localPhysicalMillis: UInt64
    /// How far `remote`'s physical part is ahead of the local wall clock.
    public var aheadMillis: UInt64
    public var maxOffsetMillis: UInt64

    public var description: String {
        "version timestamp \(remote) is \(aheadMillis) ms ahead of this node's clock (\(localPhysicalMillis)); "
            + "the maximum clock offset is \(maxOffsetMillis) ms"
    }
}
