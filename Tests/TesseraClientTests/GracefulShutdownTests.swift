import Foundation
import Synchronization
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real SIGTERM to a real `tessera server` under write load: every acknowledged write survives, the memtable
/// is flushed so the restart replays nothing; a SIGKILL, by contrast, leaves records to replay.
@Suite(.serialized) struct GracefulShutdownTests {
    /// Keys whose put was acknowledged, appended by concurrent writers.
    final class AckedKeys: Sendable {
        private let keys = Mutex<[String]>([])
        func append(_ key: String) { keys.withLock { $0.append(key) } }
        var all: [String] { keys.withLock { $0 } }
        var count: Int { keys.withLock { $0.count } }
    }

    static func log(_ launcher: ClusterLauncher) -> String {
        (try? String(contentsOfFile: launcher.nodes[0].logPath, encoding: .utf8)) ?? ""
    }

    /// The `walRecordsReplayed=N` values logged at each start, in order.
    static func replayCounts(_ log: String) -> [Int] {
        log.split(separator: "\n").compactMap { line in
            guard line.contains("storage opened"), let range = line.range(of: "walRecordsReplayed=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
    }

    static func waitUntilExited(_ launcher: ClusterLauncher, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while launcher.isRunning("n1") && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return !launcher.isRunning("n1")
    }

    @Test func sigtermUnderWriteLoadLosesNoAcknowledgedWriteAndTheRestartReplaysNothing() async throws {
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-sigterm")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = try ClusterLauncher(
            executable: try LocalCluster.binary(), nodeCount: 1, dataDirectory: directory, replicationFactor: 1)
        defer { launcher.stopAll(grace: .seconds(5)) }
        try launcher.startAll()
        try await launcher.waitUntilReady(timeout: .seconds(60))

        // Eight writers on unique keys until the node goes away; only acknowledged writes are recorded.
        let acked = AckedKeys()
        let client = try LocalCluster.client(launcher, timeout: .seconds(5))
        let writers = Task {
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var failures = 0
                        var i = 0
                        while failures < 3 {
                            i += 1
                            let key = "w\(writer)-\(i)"
                            do {
                                try await client.put(key, "value-\(key)", consistency: .one)
                                acked.append(key)
                                failures = 0
                            } catch {
                                failures += 1
                            }
                        }
                    }
                }
            }
        }
        let loadDeadline = ContinuousClock.now + .seconds(20)
        while acked.count < 400 && ContinuousClock.now < loadDeadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let pid = try #require(launcher.pid(of: "n1"))
        #expect(kill(pid, SIGTERM) == 0)
        let exited = try await Self.waitUntilExited(launcher, timeout: .seconds(15))
        await writers.value
        await client.shutdown()
        #expect(exited, "the node did not stop within 15 s of SIGTERM")
        let keys = acked.all
        #expect(keys.count >= 400, "the load never got going: \(keys.count) writes")
        let firstLog = Self.log(launcher)
        #expect(firstLog.contains("graceful shutdown requested"))
        #expect(firstLog.contains("memtable flushed"))
        #expect(firstLog.contains("node stopped"))

        // The restart replays nothing and every acknowledged write is there.
        try launcher.start("n1")
        try await launcher.waitUntilReady(timeout: .seconds(60))
        #expect(Self.replayCounts(Self.log(launcher)).last == 0, "\(Self.log(launcher))")
        let reader = try LocalCluster.client(launcher)
        var missing: [String] = []
        for key in keys {
            let value = try await reader.get(key, consistency: .one)
            if value.map({ String(decoding: $0.value, as: UTF8.self) }) != "value-\(key)" { missing.append(key) }
        }
        #expect(missing.isEmpty, "\(missing.count) of \(keys.count) acknowledged writes lost: \(missing.prefix(10))")

        // The counter can tell: after SIGKILL (no flush) the restart replays the WAL's records.
        for i in 0..<20 { try await reader.put("after-\(i)", "x", consistency: .one) }
        await reader.shutdown()
        #expect(try launcher.kill("n1"))
        try launcher.start("n1")
        try await launcher.waitUntilReady(timeout: .seconds(60))
        #expect((Self.replayCounts(Self.log(launcher)).last ?? 0) >= 1, "\(Self.log(launcher))")
    }
}
