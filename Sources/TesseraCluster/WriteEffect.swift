public import TesseraCore

/// What the shell must do after feeding an event to a `WriteCoordinator`.
public enum WriteEffect: Sendable, Equatable {
    /// Replicate the coordinator's cell to this replica (the shell sends it with its own request id and
    /// reports the answer with `onAck` or `onFailure`).
    case send(to: NodeID)
    /// Terminal: the write reached its level; `acks` counted so far (the write goes on to the other replicas).
    case succeed(acks: Int)
    /// Terminal: the write failed. `error.isIndeterminate` tells whether it may nevertheless have been applied.
    case fail(TesseraError)
}
