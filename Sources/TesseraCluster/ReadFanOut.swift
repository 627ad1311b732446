/// Which replicas a read asks first.
public enum ReadFanOut: Sendable, Equatable {
    /// Every live home replica at once.
    case all
    /// `required` replicas first (the preferred one, usually the coordinator itself, first); the other live
    /// replicas are spares, asked when a replica fails or `afterNanos` after the start. A QUORUM read then costs
    /// R replica reads, not N, unless a replica is slow or failing.
    case speculative(afterNanos: UInt64)

    /// The node's default: spares after 30 ms.
    public static let nodeDefault = ReadFanOut.speculative(afterNanos: 30_000_000)
}
