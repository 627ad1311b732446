import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real node whose data directory is a 16 MiB tmpfs (issue 8): writes fail with a storage "disk full" error,
/// resume by themselves once space is freed (no restart), and every acknowledged write is there. A start on
/// the full disk says "disk full". Needs root (mount).
@Suite(.serialized) struct DiskFullClusterTests {
    @Test(.enabled(if: getuid() == 0, "needs root to mount a 16 MiB tmpfs (mount -t tmpfs); skipped"))
    func fullDiskFailsWritesThatResumeWhenSpaceIsFreed() async throws {
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-diskfull")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = try ClusterLauncher(
            executable: try LocalCluster.binary(), nodeCount: 1, dataDirectory: directory, replicationFactor: 1)
        let n1 = try launcher.node(named: "n1")
        try FileManager.default.createDirectory(atPath: n1.dataDirectory, withIntermediateDirectories: true)
        guard try StorageFault.system("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", n1.dataDirectory]) == 0
        else {
            Issue.record("mount -t tmpfs failed although running as root")
            return
        }
        defer { _ = try? StorageFault.system("/bin/umount", ["-l", n1.dataDirectory]) }
        defer { launcher.stopAll(grace: .seconds(5)) }
        // Ballast that the test deletes to free space.
        let ballast = n1.dataDirectory + "/ballast"
        FileManager.default.createFile(atPath: ballast, contents: Data(repeating: 7, count: 5 << 20))

        try launcher.startAll()
        try await launcher.waitUntilReady(timeout: .seconds(60))
        let client = try LocalCluster.client(launcher)
        var acked: [Int] = []
        var refusal: TesseraError?
        var i = 0
        while refusal == nil && i < 400 {
            do {
                try await client.put(StorageFault.key(i), StorageFault.value(i, size: 64 << 10), consistency: .one)
                acked.append(i)
            } catch {
                refusal = error
            }
            i += 1
        }
        let error = try #require(refusal, "16 MiB should fill up before 400 writes of 64 KiB")
        #expect(error.code == .storage, "a full disk is a storage error, not \(error.code): \(error)")
        #expect(error.message.contains("disk full"), "\(error.message)")
        #expect(!error.isIndeterminate)
        let paused = try await StorageFault.counters(client, n1)
        #expect((paused["storageNoSpaceErrors"] ?? 0) >= 1)
        #expect(paused["storageWritesPausedNoSpace"] == 1)
        #expect(StorageFault.log(n1).contains("storage noSpace"), "the full disk is logged")

        // Free space: writes resume by themselves, the node was not restarted.
        let pid = launcher.pid(of: "n1")
        try FileManager.default.removeItem(atPath: ballast)
        var next = i
        let resumed = await StorageFault.eventually(30) {
            try await client.put(StorageFault.key(next), StorageFault.value(next, size: 64 << 10), consistency: .one)
            acked.append(next)
            next += 1
            return true
        }
        #expect(resumed, "writes resume once space is freed")
        #expect(launcher.pid(of: "n1") == pid, "without a restart")
        for _ in 0..<5 {
            try await client.put(StorageFault.key(next), StorageFault.value(next, size: 1024), consistency: .one)
            acked.append(next)
            next += 1
        }
        for k in acked {
            let cell = try await client.get(StorageFault.key(k), consistency: .one)
            let size = k >= next - 5 ? 1024 : 64 << 10
            #expect(cell?.value == StorageFault.value(k, size: size), "acknowledged key \(k)")
        }
        let after = try await StorageFault.counters(client, n1)
        #expect(after["storageWritesPausedNoSpace"] == 0)
        #expect((after["storageResumes"] ?? 0) >= 1)
        await client.shutdown()

        // A start on a full disk says so (recovery must write the replayed log to a table).
        try launcher.stop("n1")
        StorageFault.fillDisk(ballast)
        let start = try await StorageFault.runTessera(launcher.serverArguments(for: n1))
        #expect(start.status == 2, "a start on a full disk is refused: \(start.stderr)")
        #expect(start.stderr.contains("disk full"), "\(start.stderr)")
    }
}
