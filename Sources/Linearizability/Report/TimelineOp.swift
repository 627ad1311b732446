/// One operation drawn in an HTML timeline: a bar in its process's lane from `start` to `end`.
public struct TimelineOp: Sendable {
    /// How the operation completed.
    public enum Status: String, Sendable {
        /// Completed and took effect.
        case ok
        /// Certainly did not take effect.
        case fail
        /// Unknown outcome (may take effect at any time after its start, or never).
        case info
    }

    /// The client process; one lane per process.
    public var process: Int
    /// Invocation time (nanoseconds, or the event index when the history has no times).
    public var start: Int64
    /// Completion time; nil when the operation never completed (drawn open-ended).
    public var end: Int64?
    /// What was asked, e.g. "write 3", "cas 1->4", "get k7".
    public var label: String
    /// What came back, e.g. "ok", "3", "timed out".
    public var result: String
    public var status: Status
    /// The operation's 0-based position in the linearization order (or the longest linearizable prefix), if any.
    public var linearizedAt: Int?
    /// Whether this is the operation the checker could not linearize (drawn in red).
    public var isFailing: Bool

    public init(
        process: Int,
        start: Int64,
        end: Int64?,
        label: String,
        result: String,
        status: Status,
        linearizedAt: Int? = nil,
        isFailing: Bool = false
    ) {
        self.process = process
        self.start = start
        self.end = end
        self.label = label
        self.result = result
        self.status = status
        self.linearizedAt = linearizedAt
        self.isFailing = isFailing
    }
}
