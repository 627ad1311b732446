public import TesseraCluster
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
    /// Hints each node keeps at the end (coordinator hints and sloppy stand-in hints).
    public var hints: [NodeID: [Hint]] = [:]
    public var ok = 0
    public var failed = 0
    public var indeterminate = 0
    public var messagesDelivered = 0
    public var messagesDropped = 0

    /// The history as one JSONL text.
    public var jsonl: String { history.joined(separator: "\n") + "\n" }

    /// Acknowledged writes that fewer than W nodes hold, as data (or a newer version) on a home replica or as a
    /// hint for the key (sloppy stand-ins): lost writes.
    public var lostWrites: [AcknowledgedWrite] {
        acknowledgedWrites.filter { write in
            var holders = Set((replicas[write.key] ?? []).filter { node in
                guard let cell = stores[node]?[write.key] else { return false }
                return cell.version >= write.version
            })
            for (node, kept) in hints
            where kept.contains(where: { String(decoding: $0.key, as: UTF8.self) == write.key && $0.cell.version >= write.version }) {
                holders.insert(node)
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
