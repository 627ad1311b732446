import TesseraCore
import TesseraWire

/// One or more examples of every message, for round-trip and fuzz tests.
enum WireSamples {
    static let version = Version(
        timestamp: HLCTimestamp(physicalMillis: 1_734_000_000_123, logical: 7),
        node: 0xDEAD_BEEF
    )

    static let messages: [WireMessage] = [
        .get(key: Array("user:42".utf8), consistency: .quorum, timeoutMillis: 2000),
        .get(key: [0], consistency: .count(7), timeoutMillis: 0),
        .put(key: Array("k".utf8), value: Array(repeating: 0xAB, count: 1000), consistency: .one, timeoutMillis: 1),
        .put(key: [1, 2, 3], value: [], consistency: .all, timeoutMillis: .max),
        .delete(key: Array("gone".utf8), consistency: .two, timeoutMillis: 500),
        .delete(key: [0xFF], consistency: .three, timeoutMillis: 5),
        .idempotentWrite(
            key: Array("k".utf8), value: Array("v".utf8), consistency: .quorum, timeoutMillis: 900, quorum: .strict,
            writeID: 0x0123_4567_89AB_CDEF, resend: false, version: nil
        ),
        .idempotentWrite(
            key: [9], value: nil, consistency: .linearizable, timeoutMillis: 1, quorum: .sloppy,
            writeID: .max, resend: true, version: version
        ),
        .idempotentWrite(
            key: [9], value: [], consistency: .one, timeoutMillis: 0, quorum: .strict, writeID: 1, resend: true, version: nil
        ),
        .ring, .status, .ping, .pong, .replicaAck, .peerWelcome, .clientWelcome,
        .clientAuth(token: Array("a-client-token-0123456789".utf8)), .clientAuth(token: []),
        .peerHello(clusterName: "prod-eu", nodeID: "n2", nonce: Array(repeating: 7, count: 32)),
        .peerChallenge(nodeID: "n1", mode: .hmacSHA256, nonce: Array(0..<32), proof: Array(repeating: 0xEE, count: 32)),
        .peerChallenge(nodeID: "n1", mode: .memberID, nonce: Array(0..<32), proof: []),
        .peerAuth(proof: Array(repeating: 0x11, count: 32)),
        .getResult(nil),
        .getResult(Cell(version: version, value: Array("hello".utf8))),
        .getResult(Cell(version: version, value: [])),
        .getResult(.tombstone(version)),
        .writeResult(version: version, acks: 3),
        .writeResult(version: .zero, acks: 0),
        .ringResult(
            WireRing(
                clusterName: "prod-eu",
                replicationFactor: 3,
                virtualNodes: 2,
                members: [
                    WireMember(nodeID: "n1", host: "127.0.0.11", port: 7001, tokens: [Int64.min + 1, -5]),
                    WireMember(nodeID: "n2", host: "127.0.0.12", port: 7002, tokens: [0, Int64.max]),
                ]
            )
        ),
        .ringResult(WireRing(clusterName: "", replicationFactor: 1, virtualNodes: 0, members: [])),
        .statusResult(
            WireStatus(
                nodeID: "n1",
                clusterName: "tessera",
                uptimeMillis: 123_456,
                peersUp: ["n2"],
                peersDown: ["n3"],
                keysEstimate: 1_000_000,
                diskBytes: 1 << 40,
                gets: 1,
                puts: 2,
                deletes: 3,
                failedRequests: 4,
                replicaWrites: 5,
                replicaReads: 6,
                counters: [WireCounter(name: "readRepairs", value: 9)]
            )
        ),
        .error(TesseraError(.unavailable, "needed 2 replicas, 1 alive")),
        .error(TesseraError(.protocolError, "ünïcödé ✓")),
        .replicaWrite(key: Array("k1".utf8), cell: Cell(version: version, value: [1, 2, 3])),
        .replicaWrite(key: Array("k1".utf8), cell: .tombstone(version)),
        .replicaRead(key: Array("k2".utf8)),
        .replicaReadResult(nil),
        .replicaReadResult(Cell(version: version, value: [9])),
        .replicaReadVersion(key: Array("k3".utf8)),
        .replicaVersionResult(nil),
        .replicaVersionResult(version),
    ] + healing

    /// Hinted handoff and anti-entropy (branch hints-ae).
    static let healing: [WireMessage] = [
        .healing(.hintStats), .healing(.repairStatus),
        .healing(
            .hintStatsResult(
                WireHintStats(
                    nodeID: "n1", problem: "hint store: disk full", stored: 10, insertTransactions: 2,
                    throttleBytesPerSecond: 262_144, hintWindowMillis: 10_800_000,
                    targets: [
                        WireHintTarget(
                            node: "n3", pendingHints: 5, pendingBytes: 500, replayed: 1, expired: 2, dropped: 3,
                            failedSends: 4, replaying: true, up: false
                        )
                    ]
                )
            )
        ),
        .healing(.repair(WireRepairRequest(ranges: [WireTokenRange(start: .min, end: 5)], force: true, depth: 12))),
        .healing(.repair(WireRepairRequest())),
        .healing(
            .repairResult(
                WireRepairProgress(
                    sessionID: 3, state: .running, phase: "trees", ranges: 48, rangesDiffering: 2, leavesDiffering: 9,
                    cellsReceived: 10, cellsWritten: 4, elapsedMillis: 1234, failed: ["n4: timeout"], refused: []
                )
            )
        ),
        .healing(
            .repairStatusResult(
                WireRepairProgress(
                    sessionID: 0, state: .none, phase: "", ranges: 0, rangesDiffering: 0, leavesDiffering: 0,
                    cellsReceived: 0, cellsWritten: 0, elapsedMillis: 0, failed: [], refused: ["n2: down 11d"]
                )
            )
        ),
        .healing(.digest(ranges: [])),
        .healing(.digestResult([WireRangeDigest(range: WireTokenRange(start: -1, end: 1), keys: 3, tombstones: 1, digest: 99)])),
        .healing(.merkleTrees(depth: 2, ranges: [WireTokenRange(start: 1, end: 1)])),
        .healing(.merkleTreesResult(downtimeMillis: .max, trees: [WireMerkleTree(leaves: [1, 2, 3, 4], counts: [0, 1, 2, 3])])),
        .healing(.rangeCells(ranges: [WireTokenRange(start: 0, end: 100)])),
        .healing(.rangeCellsResult([KeyCell(key: [1], cell: .tombstone(version)), KeyCell(key: [2], cell: Cell(version: version, value: []))])),
        .healing(.applyCells([KeyCell(key: Array("k".utf8), cell: Cell(version: version, value: [7]))])),
        .healing(.applyCellsResult(applied: 1)),
    ]
}
