public import TesseraCore

/// What the shell must do after feeding an event to a `ReadCoordinator`.
public enum ReadEffect: Sendable, Equatable {
    /// Read the key from this replica (answer with `onResponse` or `onFailure`).
    case send(to: NodeID)
    /// Write `cell` to this replica (read repair); answer with `onRepairAck` or `onFailure`. After completion
    /// repairs are background work: their answers change nothing and may be dropped.
    case repair(to: NodeID, cell: Cell)
    /// Terminal: the newest cell among the responses counted (`nil`: no replica has the key), and how many
    /// responses were counted. A tombstone is returned as a cell with `value == nil`: the shell maps it to
    /// "not found".
    case succeed(Cell?, responses: Int)
    /// Terminal: the read failed; the message says how many replicas answered of how many were needed.
    case fail(TesseraError)
}
