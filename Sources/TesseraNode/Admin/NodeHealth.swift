/// The answers of `/health/live` and `/health/ready`, decided from a `NodeSnapshot` (no I/O here).
///
/// - live: the process serves HTTP (answering at all is the signal), so `/health/live` is always 200.
/// - ready: storage open, every peer's state known (not the start-up guess), serving (not draining).
public enum NodeHealth {
    /// Whether the node should receive traffic, and if not, every reason why (for the 503 body and logs).
    public static func readiness(_ snapshot: NodeSnapshot) -> (ready: Bool, reasons: [String]) {
        var reasons: [String] = []
        if snapshot.stopped { reasons.append("node stopped") }
        if snapshot.storage == nil { reasons.append("storage not open") }
        if snapshot.draining { reasons.append("draining (shutting down)") }
        if !snapshot.peersKnown { reasons.append("peers not known yet") }
        return (reasons.isEmpty, reasons)
    }
}
