/// A hybrid logical clock (Kulkarni et al., 2014) as a pure value: time comes in as an argument.
///
/// `now(physicalMillis:)` issues a timestamp for a local event (a write this node coordinates);
/// `observe(_:physicalMillis:)` advances past a timestamp seen in a message. Issued timestamps strictly
/// increase even when the physical clock stands still or goes backwards. The caller supplies wall time,
/// so tests can drive it and the node can apply a test-mode clock offset.
public struct HybridLogicalClock: Sendable {
    /// The last timestamp issued or observed.
    public private(set) var last: HLCTimestamp

    public init(last: HLCTimestamp = HLCTimestamp(rawValue: 0)) {
        self.last = last
    }

    /// Issues a timestamp greater than every one issued or observed so far.
    public mutating func now(physicalMillis: UInt64) -> HLCTimestamp {
        let candidate = HLCTimestamp(physicalMillis: physicalMillis, logical: 0)
        if candidate > last {
            last = candidate
        } else {
            last = HLCTimestamp(rawValue: last.rawValue &+ 1)
        }
        return last
    }

    /// Moves the clock past a timestamp seen from another node, so later local timestamps exceed it.
    public mutating func observe(_ remote: HLCTimestamp, physicalMillis: UInt64) {
        let local = HLCTimestamp(physicalMillis: physicalMillis, logical: 0)
        let highest = max(local, remote, last)
        if highest > last { last = highest }
    }
}
