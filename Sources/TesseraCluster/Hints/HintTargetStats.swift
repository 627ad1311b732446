/// Hinted-handoff counters of one target as this node sees them (for `tessera hints` and STATUS).
public struct HintTargetStats: Sendable, Equatable {
    /// Hints waiting in the store for this target and their bytes.
    public var pendingHints: Int = 0
    public var pendingBytes: Int = 0
    /// Hints the target acknowledged (then deleted).
    public var replayed: UInt64 = 0
    /// Hints dropped because they were older than the hint window.
    public var expired: UInt64 = 0
    /// Hints not stored because the target was over its size cap.
    public var dropped: UInt64 = 0
    /// Sends that failed (the hint stays and is retried).
    public var failedSends: UInt64 = 0
    /// True while a replay to this target is running.
    public var replaying = false
    /// True if the failure detector last reported the target up.
    public var up = false

    public init() {}
}
