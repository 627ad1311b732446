import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraCore
import TesseraRing
import Testing

@testable import TesseraClient

/// `tessera bench ycsb` and the nodes' hot-key sketches against real `tessera server` processes.
@Suite(.serialized) struct YCSBEndToEndTests {
    /// A known skew at level ALL on 3 nodes with N = 3: every node serves every read and every write, so each
    /// node's sketch must report exactly the driven shares. Tolerance: 4 percentage points (the sampled share's
    /// σ is under 1 pp for 2,000 reads; decay over the few seconds of the test moves shares by far less).
    @Test(.timeLimit(.minutes(2)))
    func hotKeySketchNamesTheHottestKeysWithTheirShares() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3) { cluster in
            let client = try LocalCluster.client(cluster)
            defer { Task { await client.shutdown() } }
            // Reads: hot-a 30%, hot-b 10%, the rest uniformly over 500 cold keys. Writes: hot-w 50%, rest cold.
            var random = SplitMix64(seed: 77)
            var reads: [String] = []
            for _ in 0..<2000 {
                let u = random.below(100)
                reads.append(u < 30 ? "hot-a" : u < 40 ? "hot-b" : "cold-\(random.below(500))")
            }
            var writes: [String] = []
            for _ in 0..<1000 { writes.append(random.below(2) == 0 ? "hot-w" : "cold-\(random.below(500))") }
            let expectedReads = ["hot-a": Double(reads.filter { $0 == "hot-a" }.count) / 2000,
                                 "hot-b": Double(reads.filter { $0 == "hot-b" }.count) / 2000]
            let expectedWrite = Double(writes.filter { $0 == "hot-w" }.count) / 1000
            try await forEachConcurrently(writes, width: 16) { key in
                try await client.put(key, "v", consistency: .all)
            }
            try await forEachConcurrently(reads, width: 16) { key in
                _ = try await client.get(key, consistency: .all)
            }
            let nodes = try await client.hotKeys(limit: 3)
            #expect(nodes.count == 3)
            for node in nodes {
                #expect(node.isUp, "\(node.id): \(node.error ?? "")")
                #expect(node.readsRecorded >= 2000, "\(node.id) served every read at ALL")
                let readKeys = node.reads.map { String(decoding: $0.key, as: UTF8.self) }
                #expect(Array(readKeys.prefix(2)) == ["hot-a", "hot-b"], "\(node.id): \(readKeys)")
                // 0.05: a busy node samples its requests (HotKeySampler), and about a thousand samples give a share
                // within 0.015 (one standard deviation) of the truth.
                for hot in node.reads.prefix(2) {
                    let name = String(decoding: hot.key, as: UTF8.self)
                    #expect(abs(hot.share - expectedReads[name]!) < 0.05, "\(node.id) \(name): \(hot.share)")
                }
                let write = try #require(node.writes.first, "\(node.id) has write keys")
                #expect(String(decoding: write.key, as: UTF8.self) == "hot-w")
                #expect(abs(write.share - expectedWrite) < 0.05, "\(node.id) hot-w: \(write.share)")
            }
            // The command prints the same per node.
            let hosts = cluster.addresses.map(\.description).joined(separator: ",")
            let result = try await LocalCluster.run(["hot", "--hosts", hosts, "--limit", "2"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("read   1  hot-a"), "\(result.stdout)")
            #expect(result.stdout.contains("write  1  hot-w"), "\(result.stdout)")
        }
    }

    /// Workload A, zipfian, over 4 nodes with N = 3: every operation is counted, and the nodes' counters
    /// account for the run's replica requests (each update writes N = 3 replicas; each QUORUM read asks 2 or 3).
    @Test(.timeLimit(.minutes(2)))
    func workloadAAgainstRealNodesCountsEveryOperationAndTheNodesLoad() async throws {
        try await LocalCluster.with(nodes: 4, replicationFactor: 3) { cluster in
            let client = try LocalCluster.client(cluster)
            defer { Task { await client.shutdown() } }
            let benchmark = try YCSBBenchmark(
                configuration: .init(
                    workload: "A", recordCount: 300, operationCount: 2000, concurrency: 16, valueSize: 100,
                    timeoutMillis: 10_000))
            let load = await benchmark.load(client: client)
            #expect(load.succeeded == 300 && load.errors == 0, "\(load.errorSamples)")
            let run = await benchmark.run(client: client, distribution: .zipfian)
            #expect(run.succeeded == 2000 && run.errors == 0, "\(run.errorSamples)")
            let byType = Dictionary(uniqueKeysWithValues: run.operations.map { ($0.operation, $0) })
            let reads = try #require(byType[.read]).succeeded
            let updates = try #require(byType[.update]).succeeded
            #expect(reads + updates == 2000)
            #expect(abs(reads - 1000) < 150, "about half reads: \(reads)")
            #expect(byType[.read]?.notFound == 0, "every record was loaded")
            #expect(run.nodes.count == 4 && run.nodes.allSatisfy(\.measured))
            let replicaWrites = run.nodes.map(\.replicaWrites).reduce(0, +)
            let replicaReads = run.nodes.map(\.replicaReads).reduce(0, +)
            #expect(replicaWrites >= UInt64(3 * updates), "\(replicaWrites) replica writes for \(updates) updates")
            #expect(replicaReads >= UInt64(2 * reads) && replicaReads <= UInt64(3 * reads) + 100)
            #expect(run.nodes.map(\.coordinated).reduce(0, +) >= 2000)
            #expect(run.balance.maxOverMean >= 1 && run.balance.maxOverMean < 2)
            #expect(run.latency.p50Micros > 0 && run.latency.p50Micros <= run.latency.p99Micros)
        }
    }

    @Test func badInputAndAnUnreachableClusterExitWithTheDocumentedCodes() async throws {
        let workload = try await LocalCluster.run(["bench", "ycsb", "--workload", "Q"])
        #expect(workload.status == 5)
        #expect(workload.stderr.contains("unknown workload 'Q'"), "\(workload.stderr)")
        let scan = try await LocalCluster.run(["bench", "ycsb", "--workload", "E"])
        #expect(scan.status == 5 && scan.stderr.contains("range scans"), "\(scan.stderr)")
        let distribution = try await LocalCluster.run(["bench", "ycsb", "--distribution", "pareto"])
        #expect(distribution.status == 5 && distribution.stderr.contains("unknown distribution"))
        let compare = try await LocalCluster.run(["bench", "ycsb", "--compare", "uniform,nope"])
        #expect(compare.status == 5 && compare.stderr.contains("unknown distribution 'nope'"))
        for (flag, value) in [("--records", "0"), ("--operations", "-3"), ("--concurrency", "0")] {
            let result = try await LocalCluster.run(["bench", "ycsb", "\(flag)=\(value)"])
            #expect(result.status == 5, "\(flag) \(value): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(flag), "\(result.stderr)")
        }
        let port = try ClusterLauncher.freePorts(count: 1)[0]
        let unreachable = try await LocalCluster.run(["bench", "ycsb", "--hosts", "127.0.0.1:\(port)", "--records", "10"])
        #expect(unreachable.status == 2, "\(unreachable.stderr)")
        #expect(unreachable.stderr.hasPrefix("error: "), "\(unreachable.stderr)")
    }
}
