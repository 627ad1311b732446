/// When the write-ahead log is made durable (fdatasync), and so what a crash can lose. See docs/storage.md.
public enum SyncPolicy: Sendable, Equatable {
    /// Every write is synced before it returns (group commit still shares one sync among concurrent writers).
    /// A crash loses nothing that was acknowledged.
    case always
    /// Group commit: writers that arrive together share one sync; a leader may wait `windowMicros` to gather
    /// more writers when there is concurrency. Every acknowledged write is durable, as with `.always`.
    case group(windowMicros: Int)
    /// A background thread syncs every `millis` milliseconds; a crash can lose the writes of the last period.
    case periodic(millis: Int)
    /// Never sync the log (the OS writes it back eventually); a crash of the machine can lose recent writes,
    /// a crash of only the process loses nothing that was acknowledged.
    case never

    /// True if a write waits for a sync before it is acknowledged.
    var syncsEachWrite: Bool {
        switch self {
        case .always, .group: return true
        case .periodic, .never: return false
        }
    }
}
