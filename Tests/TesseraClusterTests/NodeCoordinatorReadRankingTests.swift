import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

/// The load-aware first wave as the node's coordinator decides it (`CoordinatorSettings.loadAwareReads`).
@Suite struct NodeCoordinatorReadRankingTests {
    func coordinator(loadAware: Bool) -> NodeCoordinator {
        NodeCoordinator(
            selfID: n1, ring: Ring(members: [n1, n2, n3, n4]),
            settings: CoordinatorSettings(replicationFactor: 3, loadAwareReads: loadAware))
    }

    func firstWave(_ node: inout NodeCoordinator, _ key: [UInt8]) throws -> [NodeID] {
        var read = try node.beginRead(
            key: key, level: .quorum, timeoutMillis: 100, alive: Set([n1, n2, n3, n4]), now: 0)
        return read.start(now: 0).compactMap { if case .send(let n) = $0 { return n } else { return nil } }
    }

    @Test func aSlowReplicaLeavesTheFirstWave() throws {
        var node = coordinator(loadAware: true)
        let key = (0..<1000).map { Array("k\($0)".utf8) }.first { node.replicas(for: $0).contains(n1) }!
        let others = node.replicas(for: key).filter { $0 != n1 }
        // Alike replicas: this node first, then ring order, as without the ranking.
        #expect(try firstWave(&node, key) == [n1, others[0]])
        // others[0] answers in 50 ms, the rest in 1 ms: the wave takes others[1] instead.
        for _ in 0..<10 {
            for replica in node.replicas(for: key) {
                node.replicaReadSent(to: replica)
                node.replicaReadAnswered(by: replica, afterNanos: replica == others[0] ? 50_000_000 : 1_000_000)
            }
        }
        #expect(try firstWave(&node, key) == [n1, others[1]])
        var fixed = coordinator(loadAware: false)
        #expect(try firstWave(&fixed, key) == [n1, others[0]], "fixed order ignores latency")
    }

    @Test func aHotKeysReadsSpreadOverItsReplicas() throws {
        var node = coordinator(loadAware: true)
        let key = (0..<1000).map { Array("k\($0)".utf8) }.first { !node.replicas(for: $0).contains(n1) }!
        var asked: [NodeID: Int] = [:]
        // 30 reads in flight at once (none answered yet): the outstanding counts push later waves elsewhere.
        for _ in 0..<30 {
            for replica in try firstWave(&node, key) {
                node.replicaReadSent(to: replica)
                asked[replica, default: 0] += 1
            }
        }
        for replica in node.replicas(for: key) {
            #expect((18...22).contains(asked[replica] ?? 0), "\(replica): \(asked)")
        }
    }
}
