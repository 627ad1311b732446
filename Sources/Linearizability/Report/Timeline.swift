/// One section of the HTML report: the operations on one key (or the whole history) with the checker's verdict.
public struct Timeline: Sendable {
    /// The key, for per-key (partitioned) checks; nil for a single-register history.
    public var key: String?
    /// The verdict in words: "linearizable", "not linearizable", "unknown (timed out)".
    public var verdict: String
    public var ops: [TimelineOp]
    /// Extra text shown under the heading, e.g. why the failing operation cannot be placed.
    public var note: String?

    public init(key: String?, verdict: String, ops: [TimelineOp], note: String? = nil) {
        self.key = key
        self.verdict = verdict
        self.ops = ops
        self.note = note
    }
}
