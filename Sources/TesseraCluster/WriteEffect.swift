public import TesseraCore

/// What the shell must do after feeding an event to a `WriteCoordinator`.
public enum WriteEffect: Sendable, Equatable {
    /// Replicate the coordinator's cell to this replica (the shell sends it with its own request id and
    /// reports the answer with `onAck` or `onFailure`).
    case send(to: NodeID)
    /// Sloppy quorum: send the cell to this stand-in as a hinted write for home replica `home` (REPLICA_HINTED_WRITE);
    /// its answer goes to `onAck(from: standIn)` / `onFailure(from: standIn, ...)` and counts toward W.
    case sendHinted(to: NodeID, home: NodeID)
    /// Keep this hint on the coordinator (a home replica was down, did not acknowledge by the deadline, or its
    /// stand-in failed). It does not count toward W. Hand it to the node's hint store, if any.
    case storeHint(Hint)
    /// Terminal: the write reached its level; `acks` counted so far (the write goes on to the other replicas).
    case succeed(acks: Int)
    /// Terminal: the write failed. `error.isIndeterminate` tells whether it may nevertheless have been applied.
    case fail(TesseraError)
}
