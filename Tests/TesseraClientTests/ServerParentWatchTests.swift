import Foundation
import TesseraLocalCluster
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `tessera server --exit-with-parent`: a node whose launcher dies by SIGKILL stops by itself.
@Suite struct ServerParentWatchTests {
    @Test func aNodeStartedWithExitWithParentStopsWhenItsLauncherIsKilled() async throws {
        let binary = try LocalCluster.binary()
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-orphan")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try ClusterLauncher.freePorts(count: 1)[0]

        // A shell plays the launcher: it starts the node in the background, prints its pid and waits.
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        launcher.arguments = [
            "-c",
            "\"$0\" server --node-id n1 --listen 127.0.0.1:\(port) --data \"$1/n1\" --members n1=127.0.0.1:\(port)"
                + " --replication 1 --exit-with-parent >\"$1/n1.log\" 2>&1 & echo $!; wait",
            binary, directory,
        ]
        let output = Pipe()
        launcher.standardOutput = output
        try launcher.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let node = try #require(Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { if Self.isRunning(node) { kill(node, SIGKILL) } }

        // The node is up (it answers on its port) before its launcher goes away.
        try await Self.waitUntilListening(port: port, timeout: .seconds(60))
        #expect(Self.isRunning(node))

        kill(launcher.processIdentifier, SIGKILL)
        launcher.waitUntilExit()

        let deadline = ContinuousClock.now + .seconds(15)
        while Self.isRunning(node) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!Self.isRunning(node), "the orphaned node is still running 15 s after its launcher was killed")
        let log = (try? String(contentsOfFile: directory + "/n1.log", encoding: .utf8)) ?? ""
        #expect(log.contains("--exit-with-parent"), "the node should say why it stopped; log: \(log)")
    }

    /// True while `pid` exists and is not a zombie (an orphan's zombie may wait for a reaper that never comes).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    static func waitUntilListening(port: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let fd = AdminHTTP.connectLoopback(port: port) {
                close(fd)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the node never listened on port \(port)")
    }
}
