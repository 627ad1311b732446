public import TesseraCore

/// What a `ClusterSimulator` run produced: the client history in the checker's JSONL format (design.md
/// section 6) and what the replicas hold at the end.
public struct SimulationResult: Sendable {
    /// A write the client saw acknowledged.
    public struct AcknowledgedWrite: Sendable, Equatable {
        public var key: String
        public var value: Int
        public var version: Version
        /// W of the write.
        public var required: Int
    }

    public var seed: UInt64
    /// One JSON object per line, in real-time order.
    public var history: [String]
    public var acknowledgedWrites: [AcknowledgedWrite]
    /// Each node's storage at the end, after healing and draining every message.
    public var stores: [NodeID: [String: Cell]]
    /// Home replicas per key.
    public var replicas: [String: [NodeID]]
    public var ok = 0
    public var failed = 0
    public var indeterminate = 0
    public var messagesDelivered = 0
    public var messagesDropped = 0

    /// The history as one JSONL text.
    public var jsonl: String { history.joined(separator: "\n") + "\n" }

    /// Acknowledged writes that fewer than W home replicas hold (or supersede by a newer version): lost writes.
    public var lostWrites: [AcknowledgedWrite] {
        acknowledgedWrites.filter { write in
            let holders = (replicas[write.key] ?? []).filter { node in
                guard let cell = stores[node]?[write.key] else { return false }
                return cell.version >= write.version
            }
            return holders.count < write.required
        }
    }

    /// One line for test output.
    public var summary: String {
        "seed \(seed): \(history.count) events, \(ok) ok / \(failed) fail / \(indeterminate) info, "
            + "\(messagesDelivered) messages delivered, \(messagesDropped) dropped"
    }
}
