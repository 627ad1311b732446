public import TesseraCore

/// What the shell must do after feeding an event to `HintReplay`.
public enum HintReplayEffect: Sendable, Equatable {
    /// Read up to `limit` hints for `target` with row id greater than `afterID`, oldest first, and report them
    /// with `onLoaded(target:ticket:hints:nowMillis:)` (an empty array when none are left).
    case load(target: NodeID, afterID: Int64, limit: Int, ticket: UInt64)
    /// Send this hint to its target as a replica write of its original cell; report `onAck` or `onFailure`.
    case send(StoredHint)
    /// Delete these hints from the store (acknowledged by the target, or expired).
    case delete(ids: [Int64])
    /// Delete every hint created before `createdBeforeMillis` (past the hint window) and report what was
    /// removed per target with `onExpired`.
    case expire(createdBeforeMillis: UInt64)
    /// Call `onTick` at (or after) this wall-clock time: the throttle or a retry delay is waiting.
    case wake(atMillis: UInt64)
}
