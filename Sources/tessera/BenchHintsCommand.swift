import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCluster
import TesseraCore
import TesseraNode
import TesseraWire
import Synchronization

/// `tessera bench hints`: how fast a node replays hints to a returning node, and what the replay costs the
/// returning node's own requests. Prints numbers; never passes or fails on speed.
struct BenchHints: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hints",
        abstract: "Benchmark hint replay: hints/s towards a returning node and its foreground p99 before and during.",
        discussion: """
            Starts a local cluster (N = nodes, so every node holds every key), loads --keys keys, then measures \
            the foreground latency of n3 (GET at ONE over one connection, --clients in parallel) for \
            --seconds: "before". Then it stops n1 and n3, puts --hints hints for n3 into n1's hint store (as a \
            crash with writes pending would leave them), starts n3 and n1, and measures n3's latency again while \
            n1 replays ("during"), and the replay rate until nothing is pending. --throttle sets \
            --hint-throttle of the nodes (0: unthrottled, to see the fastest replay; the default 1MiB shows \
            the throttle at work). See docs/benchmarks.md.
            """
    )

    @Option(help: "Nodes in the cluster (3 or more).") var nodes = 3
    @Option(help: "Hints for the returning node.") var hints = 50_000
    @Option(help: "Keys loaded before (read by the foreground clients).") var keys = 2000
    @Option(help: "Value size in bytes.") var valueSize = 100
    @Option(help: "The nodes' --hint-throttle.") var throttle = "0"
    @Option(help: "Seconds of the before measurement.") var seconds = 5.0
    @Option(help: "Foreground clients (connections to n3).") var clients = 4

    func validate() throws {
        guard nodes >= 3 else { throw ValidationError("--nodes: use 3 or more") }
        guard hints >= 1, keys >= 1, valueSize >= 0, clients >= 1, seconds > 0 else {
            throw ValidationError("--hints, --keys, --clients must be positive, --seconds above 0")
        }
    }

    func run() async throws {
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-bench-hints")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = try ClusterLauncher(
            executable: try DemoExecutable.path(),
            nodeCount: nodes,
            dataDirectory: directory,
            replicationFactor: nodes,
            extraServerArguments: ["--repair-interval", "0", "--hint-throttle", throttle]
        )
        defer { launcher.stopAll(grace: .seconds(3)) }
        print("tessera bench hints: nodes=\(nodes) hints=\(hints) value=\(valueSize) B throttle=\(throttle) load=\(BenchMerkle.loadAverage())")
        try launcher.startAll()
        try await launcher.waitUntilReady(timeout: .seconds(60))
        let client = try TesseraClient(seeds: launcher.addresses, options: TesseraClient.Options(defaultTimeout: .seconds(10)))
        let value = [UInt8](repeating: 0x62, count: valueSize)
        let keyList = (0..<keys).map { Array("fg-\($0)".utf8) }
        for chunk in stride(from: 0, to: keys, by: 64) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for key in keyList[chunk..<min(keys, chunk + 64)] {
                    group.addTask { _ = try await client.put(key, value, consistency: .all) }
                }
                try await group.waitForAll()
            }
        }
        await client.shutdown()
        let n3 = try launcher.node(named: "n3").address
        let n1 = try launcher.node(named: "n1")

        let before = try await Self.foreground(n3, keys: keyList, clients: clients) { start in ContinuousClock.now - start >= .milliseconds(Int64(seconds * 1000)) }

        try launcher.stop("n1")
        try launcher.stop("n3")
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let store = try HintStore(path: n1.dataDirectory + "/hints.sqlite")
        var batch: [Hint] = []
        for i in 0..<hints {
            let cell = Cell(version: Version(timestamp: HLCTimestamp(physicalMillis: now, logical: UInt16(i % 60000)), node: UInt32(i / 60000) + 1), value: value)
            batch.append(Hint(target: NodeID("n3"), key: Array("hinted-\(i)".utf8), cell: cell, createdMillis: now))
            if batch.count == 5000 {
                try store.insert(batch)
                batch = []
            }
        }
        try store.insert(batch)
        store.close()
        try launcher.start("n3")
        try await launcher.waitUntilReady(["n3"], timeout: .seconds(60))
        try launcher.start("n1")
        try await launcher.waitUntilReady(["n1"], timeout: .seconds(60))

        // During: until n1 has nothing pending; the replay rate from the same polls.
        let replay = ReplayWatch(n1.address)
        let watcher = Task { try await replay.watch() }
        let during = try await Self.foreground(n3, keys: keyList, clients: clients) { _ in replay.done }
        let (replayed, elapsed) = try await watcher.value
        let rate = Double(replayed) / BenchMerkle.seconds(elapsed)
        let bytesPerHint = Double(Hint(target: NodeID("n3"), key: Array("hinted-0".utf8), cell: Cell(version: .zero, value: value), createdMillis: 0).byteSize)
        print(String(format: "replay          %d hints in %.2f s: %.0f hints/s (%.2f MiB/s)", replayed, BenchMerkle.seconds(elapsed), rate, rate * bytesPerHint / 1_048_576))
        print("foreground n3   before: \(before.describe)")
        print("foreground n3   during: \(during.describe)")
        print(String(format: "p99 during / before: %.2fx", during.p99 / max(before.p99, 1e-9)))
        print("load after: \(BenchMerkle.loadAverage())")
    }

    struct Latencies {
        var samples: [Double]
        var p50: Double { percentile(0.50) }
        var p99: Double { percentile(0.99) }
        func percentile(_ q: Double) -> Double {
            guard !samples.isEmpty else { return 0 }
            let sorted = samples.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
        }
        var describe: String {
            String(format: "%d GETs, p50 %.3f ms, p99 %.3f ms", samples.count, p50 * 1000, p99 * 1000)
        }
    }

    /// GET at ONE of random keys through n3, `clients` connections in a closed loop, until `stop` says so.
    static func foreground(
        _ address: HostAddress,
        keys: [[UInt8]],
        clients: Int,
        stop: @escaping @Sendable (ContinuousClock.Instant) -> Bool
    ) async throws -> Latencies {
        let start = ContinuousClock.now
        let all = try await withThrowingTaskGroup(of: [Double].self) { group in
            for c in 0..<clients {
                group.addTask {
                    let connection = try await WireConnection.connect(host: address.host, port: address.port, group: MultiThreadedEventLoopGroup.singleton)
                    defer { connection.close() }
                    var rng = SplitMix64(seed: UInt64(c + 1))
                    var samples: [Double] = []
                    while !stop(start) {
                        let key = keys[Int(rng.next() % UInt64(keys.count))]
                        let t0 = ContinuousClock.now
                        _ = try await connection.response(to: .get(key: key, consistency: .one, timeoutMillis: 10_000), timeout: .seconds(10))
                        samples.append(BenchMerkle.seconds(ContinuousClock.now - t0))
                    }
                    return samples
                }
            }
            var all: [Double] = []
            for try await samples in group { all += samples }
            return all
        }
        return Latencies(samples: all)
    }

    /// Polls n1's HINT_STATS until nothing is pending for n3; the replay time counts from the first replayed hint.
    final class ReplayWatch: Sendable {
        let address: HostAddress
        private let finished = Mutex(false)
        var done: Bool { finished.withLock { $0 } }

        init(_ address: HostAddress) { self.address = address }

        func watch() async throws -> (replayed: UInt64, elapsed: Duration) {
            defer { finished.withLock { $0 = true } }
            let admin = try await NodeAdmin.connect(address, timeout: .seconds(5))
            defer { admin.close() }
            var first: ContinuousClock.Instant?
            var atFirst: UInt64 = 0
            let deadline = ContinuousClock.now + .seconds(600)
            while ContinuousClock.now < deadline {
                guard case .hintStatsResult(let stats) = try await admin.request(.hintStats, timeout: .seconds(5)),
                    let target = stats.targets.first(where: { $0.node == "n3" })
                else { throw TesseraError(.protocolError, "no hint stats for n3") }
                // Counted from the first poll that sees the replay running (hints replayed before it are left out).
                if target.replayed > 0 && first == nil {
                    first = ContinuousClock.now
                    atFirst = target.replayed
                }
                if target.pendingHints == 0 && target.replayed > 0 {
                    return (target.replayed - atFirst, ContinuousClock.now - (first ?? ContinuousClock.now))
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw TesseraError(.timeout, "the replay did not finish within 600 s")
        }
    }
}
