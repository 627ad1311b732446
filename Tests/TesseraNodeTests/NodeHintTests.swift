import Synchronization
import TesseraCluster
import TesseraCore
import TesseraNode
import TesseraRing
import TesseraWire
import Testing

/// Records what the node hands to its hint store (the durable store is branch hints-ae's).
final class RecordingHintSink: HintSink {
    let hints = Mutex<[Hint]>([])
    let transitions = Mutex<[String]>([])

    func store(_ hints: [Hint], completion: @escaping @Sendable (TesseraError?) -> Void) {
        self.hints.withLock { $0 += hints }
        completion(nil)
    }

    func peerChanged(_ node: NodeID, isUp: Bool) {
        transitions.withLock { $0.append("\(node) \(isUp ? "up" : "down")") }
    }
}

/// Strict and sloppy writes over real TCP: hints reach the HintSink, stand-ins without one refuse.
@Suite struct NodeHintTests {
    /// A key whose home replicas (N = 3 of 4 nodes) include n4, and the node that stands in for it.
    func keyHomedOnN4(_ cluster: TestCluster) -> (key: String, standIn: Int) {
        let ring = Ring(members: cluster.members.map(\.id), virtualNodes: 8)
        for i in 0..<10_000 {
            let key = "hinted-\(i)"
            let order = ring.preferenceList(for: Array(key.utf8), replicationFactor: 4)
            if order.prefix(3).contains(NodeID("n4")) {
                let standIn = order[3]
                return (key, cluster.members.firstIndex { $0.id == standIn }!)
            }
        }
        fatalError("no key homed on n4")
    }

    func waitUntilDown(_ connection: WireConnection, _ key: String) async -> Bool {
        await eventually { (try? await connection.put(key, "probe", .all))?.errorCode == .unavailable }
    }

    @Test func withoutAHintStoreAStandInRefusesSoTheSloppyWriteDoesNotCount() async throws {
        try await TestCluster.with(size: 4) { cluster in
            let (key, _) = keyHomedOnN4(cluster)
            let connection = try await cluster.connect(0)
            try await cluster.stopNode(3)
            #expect(await waitUntilDown(connection, key))
            let reply = try await connection.put(key, "v", .all, quorum: .sloppy)
            #expect(reply.errorMessage?.contains("keeps no hints") == true, "\(reply)")
            // QUORUM strict still works from the two live home replicas.
            guard case .writeResult(_, 2) = try await connection.put(key, "v", .quorum) else {
                Issue.record("QUORUM strict failed")
                return
            }
            connection.close()
        }
    }

    @Test func sloppyStandInsAndStrictCoordinatorsHandTheirHintsToTheSink() async throws {
        let sinks = (0..<4).map { _ in RecordingHintSink() }
        try await TestCluster.with(size: 4, hintSinks: sinks) { cluster in
            let (key, standIn) = keyHomedOnN4(cluster)
            let connection = try await cluster.connect(0)
            try await cluster.stopNode(3)
            #expect(await waitUntilDown(connection, key))
            // Sloppy ALL: the stand-in's ack counts; it keeps the write as a hint for n4.
            let sloppy = try await connection.put(key, "sloppy", .all, quorum: .sloppy)
            guard case .writeResult(let version, 3) = sloppy else {
                Issue.record("sloppy ALL: \(sloppy)")
                return
            }
            let kept = sinks[standIn].hints.withLock { $0 }
            #expect(kept.contains { $0.target == NodeID("n4") && $0.key == Array(key.utf8) && $0.cell.version == version })
            // Strict QUORUM: n1 coordinates and keeps the hint for n4 itself, without counting it.
            guard case .writeResult(let strictVersion, 2) = try await connection.put(key, "strict", .quorum) else {
                Issue.record("strict QUORUM failed")
                return
            }
            #expect(sinks[0].hints.withLock { $0 }.contains { $0.target == NodeID("n4") && $0.cell.version == strictVersion })
            #expect(sinks[0].transitions.withLock { $0 }.contains("n4 down"))
            let status = try await cluster.status(0)
            #expect((status.counters.first { $0.name == "hintsHandedOff" }?.value ?? 0) >= 1)
            connection.close()
        }
    }
}
