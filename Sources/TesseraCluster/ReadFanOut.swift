public import TesseraCore

/// Which replicas a read asks first.
public enum ReadFanOut: Sendable, Equatable {
    /// Every live home replica at once.
    case all
    /// `required` replicas first (the preferred one, usually the coordinator itself, first); the other live
    /// replicas are spares, asked when a replica fails or `afterNanos` after the start. A QUORUM read then costs
    /// R replica reads, not N, unless a replica is slow or failing.
    ///
    /// The timed spares are bounded per replica: a replica that already has `spareOutstandingLimit` reads
    /// from this node outstanding gets no timed spare (only a failure still sends it one). When this node is
    /// slow (a client floods it with reads of large values, or the machine is overloaded), every local read
    /// passes the delay; unbounded, each would add a read of the whole value at both peers, and their answers
    /// (hundreds of MiB) kept this node's single event loop so busy that its pings went unanswered for
    /// seconds and both peers were marked down (issue 8; docs/wire-protocol.md, "Peer connections").
    case speculative(afterNanos: UInt64)

    /// The node's default: spares after 30 ms.
    public static let nodeDefault = ReadFanOut.speculative(afterNanos: 30_000_000)

    /// Reads outstanding at a replica above which it gets no timed spare.
    public static let spareOutstandingLimit = 8

    /// The replicas among `replicas` that get no timed spare, given how many reads each has outstanding.
    public static func busyForSpares(_ replicas: [NodeID], outstanding: (NodeID) -> Int) -> Set<NodeID> {
        Set(replicas.filter { outstanding($0) >= spareOutstandingLimit })
    }
}
