import Foundation
import NIOPosix
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCluster
import TesseraCore
import TesseraRing
import TesseraWire

@testable import TesseraNode
import Testing

/// Hinted handoff and anti-entropy with real `tessera server` processes (docs/healing.md).
///
/// Key counts: `TESSERA_HEALING_KEYS` (default 1,000 per phase; the issue's full run is 10,000:
/// `TESSERA_HEALING_KEYS=10000 swift test --skip-build --filter HealingClusterTests`).
@Suite(.serialized) struct HealingClusterTests {
    static let keysPerPhase = ProcessInfo.processInfo.environment["TESSERA_HEALING_KEYS"].flatMap(Int.init) ?? 1000

    /// Retries `body` while it fails with unavailable or timeout: on a loaded machine a failure detector may
    /// suspect a live node for a moment (a retried write is idempotent here: same key, same value).
    static func retrying<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch let error as TesseraError where (error.code == .unavailable || error.code == .timeout) && attempt < 30 {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Runs `tessera repair` until it reports every replica took part (a replica suspected down for a moment
    /// fails one attempt), at most three times.
    static func repair(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        var result = try await LocalCluster.run(["repair"] + arguments, timeout: .seconds(120))
        for _ in 0..<2 where result.status != 0 && result.stderr.contains("warning: failed") {
            try await Task.sleep(for: .seconds(1))
            result = try await LocalCluster.run(["repair"] + arguments, timeout: .seconds(120))
        }
        return result
    }

    /// One request to one node over its own connection.
    static func ask(_ address: HostAddress, _ message: WireHealingMessage) async throws -> WireHealingMessage {
        let connection = try await WireConnection.connect(host: address.host, port: address.port, group: MultiThreadedEventLoopGroup.singleton)
        defer { connection.close() }
        let reply = try await connection.response(to: .healing(message), timeout: .seconds(30))
        guard case .healing(let answer) = reply else { throw TesseraError(.protocolError, "unexpected \(reply)") }
        return answer
    }

    /// Per token range, each replica's digest of every key and version it holds (DIGEST), and the ranges whose
    /// replicas disagree.
    static func compareReplicas(_ cluster: ClusterLauncher) async throws -> (differing: [TokenRange], keysPerNode: [String: UInt64]) {
        let ring = Ring(members: cluster.nodes.map(\.id), virtualNodes: Ring.defaultVirtualNodes)
        let ranges = TokenRange.ranges(of: ring)
        var digests: [NodeID: [WireRangeDigest]] = [:]
        var keysPerNode: [String: UInt64] = [:]
        for node in cluster.nodes {
            let wire = ranges.map { WireTokenRange(start: $0.start, end: $0.end) }
            guard case .digestResult(let result) = try await ask(node.address, .digest(ranges: wire)) else {
                throw TesseraError(.protocolError, "no digest from \(node.id)")
            }
            #expect(result.count == ranges.count)
            digests[node.id] = result
            keysPerNode[node.id.name] = result.reduce(0) { $0 + $1.keys }
        }
        var differing: [TokenRange] = []
        for (i, range) in ranges.enumerated() {
            let replicas = ring.preferenceList(forToken: range.end, replicationFactor: cluster.replicationFactor)
            let seen = Set(replicas.map { digests[$0]![i] })
            if seen.count > 1 { differing.append(range) }
        }
        return (differing, keysPerNode)
    }

    @Test(.timeLimit(.minutes(3)))
    func repairMakesEveryReplicaIdenticalAfterHintsExpired() async throws {
        // Hint window 1 s: whatever hints a coordinator keeps for the down node expire before it returns, so
        // only anti-entropy can bring it up to date.
        try await LocalCluster.with(nodes: 5, replicationFactor: 3, arguments: ["--repair-interval", "0", "--hint-window", "1s"]) { cluster in
            let client = try LocalCluster.client(cluster)
            defer { Task { await client.shutdown() } }
            #expect(try cluster.kill("n3"))
            let keys = (0..<Self.keysPerPhase).map { "repair-\($0)" }
            try await forEachConcurrently(keys, width: 32) { key in
                _ = try await Self.retrying(key) { try await client.put(key, "v-\(key)", consistency: .quorum, timeout: .seconds(10)) }
            }
            // Deletes are data too: their tombstones must reach n3.
            try await forEachConcurrently(Array(keys.prefix(50)), width: 16) { key in
                _ = try await Self.retrying(key) { try await client.delete(key, consistency: .quorum, timeout: .seconds(10)) }
            }
            try await Task.sleep(for: .seconds(2))  // past the hint window
            try cluster.start("n3")
            try await cluster.waitUntilReady(["n3"], timeout: .seconds(60))

            let before = try await Self.compareReplicas(cluster)
            #expect(!before.differing.isEmpty, "n3 missed every write: some ranges must differ before repair")

            let result = try await Self.repair(["--hosts", cluster.addresses.map(\.description).joined(separator: ","), "--timeout", "30000"])
            #expect(result.status == 0, "repair failed: \(result.stdout) \(result.stderr)")
            #expect(result.stdout.contains("ranges compared"))

            let after = try await Self.compareReplicas(cluster)
            #expect(after.differing.isEmpty, "ranges still differing after repair: \(after.differing.count)")
            // n3 holds about 3/5 of the keys (N=3 of 5) now, tombstones included.
            let n3Keys = after.keysPerNode["n3"] ?? 0
            #expect(n3Keys > UInt64(Self.keysPerPhase) / 3, "n3 holds \(n3Keys) keys after repair")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func repairRefusesAReplicaDownLongerThanTheTombstoneGraceUnlessForced() async throws {
        try await LocalCluster.with(
            nodes: 3,
            replicationFactor: 3,
            arguments: ["--repair-interval", "0", "--tombstone-grace", "2s", "--hint-window", "1s"]
        ) { cluster in
            let client = try LocalCluster.client(cluster)
            defer { Task { await client.shutdown() } }
            try await forEachConcurrently((0..<100).map { "g-\($0)" }, width: 16) { key in
                _ = try await HealingClusterTests.retrying(key) { try await client.put(key, "v", consistency: .all) }
            }
            #expect(try cluster.kill("n3"))
            try await Task.sleep(for: .seconds(3))  // longer than the grace period
            try cluster.start("n3")
            try await cluster.waitUntilReady(["n3"], timeout: .seconds(60))
            let hosts = cluster.addresses.map(\.description).joined(separator: ",")

            let refused = try await LocalCluster.run(["repair", "--hosts", hosts, "--node", "n1"], timeout: .seconds(60))
            #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
            #expect(refused.stderr.contains("refused n3") && refused.stderr.contains("rebuild"), "\(refused.stderr)")

            let forced = try await Self.repair(["--hosts", hosts, "--node", "n1", "--force"])
            #expect(forced.status == 0, "\(forced.stdout) \(forced.stderr)")
        }
    }
}

/// Hint replay with real processes, from hints already in a node's SQLite store (written there while the node
/// was stopped, as a restart after a crash finds them).
@Suite(.serialized) struct HintReplayClusterTests {
    static func hintStats(_ address: HostAddress) async throws -> WireHintStats {
        guard case .hintStatsResult(let stats) = try await HealingClusterTests.ask(address, .hintStats) else {
            throw TesseraError(.protocolError, "no hint stats")
        }
        return stats
    }

    static func replicaRead(_ node: ClusterLauncher.Node, _ keys: [[UInt8]]) async throws -> [Cell?] {
        let address = node.address
        let connection = try await WireConnection.connect(host: address.host, port: address.port, group: MultiThreadedEventLoopGroup.singleton)
        defer { connection.close() }
        // REPLICA_READ is served only on an authenticated peer connection: speak as member n1 (no secret set).
        let credentials = PeerHandshake.Credentials(
            clusterName: "tessera", nodeID: "n1", members: ["n1", "n2", "n3", "n4", "n5"], secret: nil)
        try await connection.authenticateAsPeer(credentials: credentials, expectedNodeID: node.id.name, timeout: .seconds(10)).get()
        var cells: [Cell?] = []
        for chunk in stride(from: 0, to: keys.count, by: 256) {
            let futures = keys[chunk..<min(keys.count, chunk + 256)].map { connection.request(.replicaRead(key: $0), timeout: .seconds(10)) }
            for future in futures {
                guard case .replicaReadResult(let cell) = try await future.get() else { throw TesseraError(.protocolError, "bad reply") }
                cells.append(cell)
            }
        }
        return cells
    }

    @Test(.timeLimit(.minutes(3)))
    func hintsSurviveAKillInTheMiddleOfTheirReplayAndAllArrive() async throws {
        // 3 members: n1 first replays at 16 KiB/s / 2 = 8 KiB/s, so 2,000 hints of ~150 bytes would take about
        // 37 s: the test samples the progress and kills n1 after 300, with a wide margin for a busy machine that
        // stalls the test process (a CI run at 64 KiB/s saw all 2,000 replayed before its first sample). After
        // the restart, n1 replays the rest at 1 MiB/s.
        try await LocalCluster.with(
            nodes: 3,
            replicationFactor: 3,
            arguments: ["--repair-interval", "0", "--hint-throttle", "16KiB", "--hint-window", "1h"]
        ) { cluster in
            try cluster.stop("n1")
            #expect(try cluster.kill("n3"))
            let n1 = try cluster.node(named: "n1")
            let now = UInt64(Date().timeIntervalSince1970 * 1000)
            let version = { (i: Int) in Version(timestamp: HLCTimestamp(physicalMillis: now - 60_000, logical: UInt16(i % 1000)), node: 77 + UInt32(i / 1000)) }
            let hints = (0..<2000).map { i in
                Hint(target: NodeID("n3"), key: Array("hinted-\(i)".utf8), cell: Cell(version: version(i), value: Array(repeating: UInt8(i % 256), count: 100)), createdMillis: now - 1000)
            }
            // And 50 for n2 created two hours ago: past the window, never replayed.
            let stale = (0..<50).map { i in
                Hint(target: NodeID("n2"), key: Array("stale-\(i)".utf8), cell: Cell(version: version(i), value: [1]), createdMillis: now - 7_200_000)
            }
            do {
                let store = try HintStore(path: n1.dataDirectory + "/hints.sqlite")
                try store.insert(hints + stale)
                store.close()
            }
            try cluster.start("n3")
            try await cluster.waitUntilReady(["n3"], timeout: .seconds(60))
            try cluster.start("n1")
            try await cluster.waitUntilReady(["n1"], timeout: .seconds(60))

            // Kill n1 once part of the replay is done.
            var before = try await Self.hintStats(n1.address)
            let midway = ContinuousClock.now + .seconds(60)
            while (before.targets.first { $0.node == "n3" }?.replayed ?? 0) < 300 && ContinuousClock.now < midway {
                try await Task.sleep(for: .milliseconds(100))
                before = try await Self.hintStats(n1.address)
            }
            let replayedBeforeKill = before.targets.first { $0.node == "n3" }?.replayed ?? 0
            #expect(replayedBeforeKill >= 300 && replayedBeforeKill < 2000, "replayed \(replayedBeforeKill) before the kill")
            #expect(before.targets.first { $0.node == "n2" }?.expired == 50)
            #expect(before.targets.first { $0.node == "n2" }?.replayed == 0)
            #expect(try cluster.kill("n1"))

            // What the kill left in n1's hint database (read while n1 is down, so nothing replays meanwhile):
            // acknowledged hints are deleted per batch, so some were gone before the kill and the rest survived it.
            let pendingAtRestart: Int
            do {
                let store = try HintStore(path: n1.dataDirectory + "/hints.sqlite")
                pendingAtRestart = try store.pending()[NodeID("n3")]?.hints ?? 0
                store.close()
            }
            #expect(pendingAtRestart > 0 && pendingAtRestart < 2000, "pending at restart: \(pendingAtRestart)")
            try cluster.start("n1", extraArguments: ["--hint-throttle", "1MiB"])
            try await cluster.waitUntilReady(["n1"], timeout: .seconds(60))

            let result = try await LocalCluster.run(
                ["hints", "--hosts", n1.address.description, "--wait", "90"],
                timeout: .seconds(120)
            )
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(result.stdout.contains("0 hints pending"), "\(result.stdout)")

            // Every hint reached n3 with its original version.
            let cells = try await Self.replicaRead(try cluster.node(named: "n3"), hints.map(\.key))
            let arrived = zip(hints, cells).filter { $0.0.cell == $0.1 }.count
            #expect(arrived == hints.count, "\(arrived) of \(hints.count) hints arrived at n3")
            let staleCells = try await Self.replicaRead(try cluster.node(named: "n2"), stale.map(\.key))
            #expect(staleCells.allSatisfy { $0 == nil }, "expired hints must not be replayed")
        }
    }
}

/// The issue's result: 5 nodes, N=3, one down; writes at ONE sloppy and QUORUM strict; after its restart and
/// the replay, the returning node holds every write homed on it, in its own storage.
@Suite(.serialized) struct HintedHandoffClusterTests {
    @Test(.timeLimit(.minutes(4)))
    func aReturningNodeGetsEveryWriteItMissedFromHints() async throws {
        try await LocalCluster.with(nodes: 5, replicationFactor: 3, arguments: ["--repair-interval", "0"]) { cluster in
            let client = try LocalCluster.client(cluster)
            defer { Task { await client.shutdown() } }
            #expect(try cluster.kill("n3"))
            // Let the survivors see n3 down, so sloppy writes pick stand-ins at once.
            let seen = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < seen {
                if let status = try? await client.status(timeout: .seconds(2)),
                    status.filter(\.isUp).allSatisfy({ $0.peersDown.contains("n3") })
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let count = HealingClusterTests.keysPerPhase
            let sloppy = (0..<count).map { "sloppy-\($0)" }
            let strict = (0..<count).map { "strict-\($0)" }
            try await forEachConcurrently(sloppy, width: 32) { key in
                _ = try await HealingClusterTests.retrying(key) {
                    try await client.put(key, "s-\(key)", consistency: .one, timeout: .seconds(10), quorum: .sloppy)
                }
            }
            try await forEachConcurrently(strict, width: 32) { key in
                _ = try await HealingClusterTests.retrying(key) {
                    try await client.put(key, "q-\(key)", consistency: .quorum, timeout: .seconds(10), quorum: .strict)
                }
            }
            try cluster.start("n3")
            try await cluster.waitUntilReady(["n3"], timeout: .seconds(60))
            let hosts = cluster.addresses.map(\.description).joined(separator: ",")
            let waited = try await LocalCluster.run(["hints", "--hosts", hosts, "--wait", "150"], timeout: .seconds(180))
            #expect(waited.status == 0, "\(waited.stdout) \(waited.stderr)")

            // Every key homed on n3, read from n3's own storage (REPLICA_READ: no coordinator, no other node).
            let ring = Ring(members: cluster.nodes.map(\.id), virtualNodes: Ring.defaultVirtualNodes)
            let homed = (sloppy + strict).filter { ring.preferenceList(for: Array($0.utf8), replicationFactor: 3).contains(NodeID("n3")) }
            #expect(homed.count > count / 3, "\(homed.count) keys homed on n3")
            let cells = try await HintReplayClusterTests.replicaRead(try cluster.node(named: "n3"), homed.map { Array($0.utf8) })
            let held = zip(homed, cells).filter { key, cell in
                cell?.value == Array("\(key.hasPrefix("sloppy") ? "s" : "q")-\(key)".utf8)
            }.count
            #expect(held == homed.count, "n3 holds \(held) of the \(homed.count) keys homed on it")
            // They came by hint replay: the holders replayed at least one hint per key homed on n3.
            var replayed: UInt64 = 0
            for node in cluster.nodes where node.id.name != "n3" {
                let stats = try await HintReplayClusterTests.hintStats(node.address)
                replayed += stats.targets.first { $0.node == "n3" }?.replayed ?? 0
            }
            #expect(replayed >= UInt64(homed.count), "\(replayed) hints replayed to n3 for \(homed.count) keys")
            print("n3 holds \(held) of \(homed.count) keys homed on it; \(replayed) hints replayed to it")
        }
    }
}
