import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore
import Testing

/// A WAL record damaged in the middle of a real node's log (issue 8): the default (strict) start refuses,
/// naming the file and offset; `--wal-recovery point-in-time` starts with everything before the damage;
/// `--wal-recovery skip-corrupted` with every intact record; the drops are logged.
@Suite(.serialized) struct WALRecoveryClusterTests {
    static let count = 60

    /// A one-node cluster in `directory` that wrote `count` keys (one log record each) and was killed, with one
    /// byte flipped in record 30 of its log. Returns the log's path.
    func damagedNode(_ directory: String) async throws -> String {
        let launcher = try ClusterLauncher(
            executable: try LocalCluster.binary(), nodeCount: 1, dataDirectory: directory, replicationFactor: 1,
            extraServerArguments: ["--sync", "always"])
        defer { launcher.stopAll() }
        try launcher.startAll()
        try await launcher.waitUntilReady(timeout: .seconds(60))
        let client = try LocalCluster.client(launcher)
        for i in 0..<Self.count { try await client.put(StorageFault.key(i), StorageFault.value(i, size: 100)) }
        await client.shutdown()
        // SIGKILL, not a clean stop: a clean stop flushes the memtable and leaves no log records to damage.
        _ = try launcher.kill("n1")
        let log = try #require(try StorageFault.files(directory + "/n1/data", suffix: ".log").last)
        let record = try StorageFault.size(log) / Self.count
        try StorageFault.flipByte(log, at: record * 30 + record / 2)
        return log
    }

    /// Starts the node in `directory` with `mode`, returns the keys it has and its log.
    func recover(_ directory: String, _ mode: String) async throws -> (present: [Int], log: String) {
        let launcher = try ClusterLauncher(
            executable: try LocalCluster.binary(), nodeCount: 1, dataDirectory: directory, replicationFactor: 1,
            extraServerArguments: ["--wal-recovery", mode])
        defer { launcher.stopAll() }
        try launcher.startAll()
        try await launcher.waitUntilReady(timeout: .seconds(60))
        let client = try LocalCluster.client(launcher)
        var present: [Int] = []
        for i in 0..<Self.count {
            if let cell = try await client.get(StorageFault.key(i), consistency: .one) {
                #expect(cell.value == StorageFault.value(i, size: 100), "key \(i) never returns wrong data")
                present.append(i)
            }
        }
        await client.shutdown()
        return (present, StorageFault.log(try launcher.node(named: "n1")))
    }

    @Test func strictRefusesAndTheOtherModesRecoverWhatIsIntact() async throws {
        let base = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-walmodes")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let log = try await damagedNode(base + "/strict")
        for copy in ["pit", "skip"] {
            try FileManager.default.copyItem(atPath: base + "/strict", toPath: base + "/" + copy)
        }

        // Strict (the default): refuses, naming the file and the offset; exit status 2.
        let planned = try ClusterLauncher(
            executable: try LocalCluster.binary(), nodeCount: 1, dataDirectory: base + "/strict", replicationFactor: 1)
        let refused = try await StorageFault.runTessera(planned.serverArguments(for: try planned.node(named: "n1")))
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(log) && refused.stderr.contains("offset"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--wal-recovery"), "the refusal says how to recover: \(refused.stderr)")

        let pit = try await recover(base + "/pit", "point-in-time")
        #expect(pit.present == Array(0..<30))
        #expect(pit.log.contains("storage walDataDropped") && pit.log.contains("point-in-time recovery dropped"))

        let skip = try await recover(base + "/skip", "skip-corrupted")
        #expect(skip.present == Array(0..<30) + Array(31..<Self.count))
        #expect(skip.log.contains("skip-corrupted recovery dropped"))
    }
}
