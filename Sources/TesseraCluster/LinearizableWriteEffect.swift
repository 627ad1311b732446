public import TesseraCore

/// What the shell must do after feeding an event to a `LinearizableWriteCoordinator`.
public enum LinearizableWriteEffect: Sendable, Equatable {
    /// Version phase: ask this replica for the version of its newest cell of the key (REPLICA_READ_VERSION; no
    /// value is needed); answer with `onVersionResponse` or `onReadFailure`.
    case read(to: NodeID)
    /// Write phase (and every terminal effect, of either phase): carry it out as for a `WriteCoordinator`, with
    /// the cell `LinearizableWriteCoordinator.cell`; answers go to `onWriteAck` / `onWriteFailure`.
    case write(WriteEffect)
}
