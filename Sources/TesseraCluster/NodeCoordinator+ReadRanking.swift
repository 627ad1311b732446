public import TesseraCore

extension NodeCoordinator {
    /// The order a read of `key` asks its home replicas in. Fixed: ring order (the read coordinator then puts
    /// this node first). Load-aware: this node first, then ring order, re-ranked by `readRanking` only when
    /// another replica is clearly less loaded or faster (its badness threshold), so a hot key's reads spread
    /// over its replicas and a slow replica is avoided.
    func readOrder(for key: [UInt8]) -> [NodeID] {
        var order = replicas(for: key)
        guard settings.loadAwareReads else { return order }
        if let index = order.firstIndex(of: selfID), index > 0 {
            order.remove(at: index)
            order.insert(selfID, at: 0)
        }
        return readRanking.rank(order)
    }

    /// A replica read was sent to `node`.
    public mutating func replicaReadSent(to node: NodeID) { readRanking.sent(to: node) }

    /// `node` answered a replica read `nanos` after it was sent.
    public mutating func replicaReadAnswered(by node: NodeID, afterNanos nanos: UInt64) {
        readRanking.answered(by: node, latencyMicros: nanos / 1000)
    }

    /// A replica read to `node` failed or timed out.
    public mutating func replicaReadFailed(_ node: NodeID) { readRanking.failed(node) }
}
