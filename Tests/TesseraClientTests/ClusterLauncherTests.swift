import Foundation
import TesseraLocalCluster
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The process control of `ClusterLauncher`, with a shell script standing in for `tessera server`.
@Suite struct ClusterLauncherTests {
    /// Writes an executable script into a fresh directory and returns (directory, script path).
    func makeScript(_ body: String) throws -> (String, String) {
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-launcher-test")
        let path = directory + "/fake-tessera"
        // O_CLOEXEC: a child spawned by a test running in parallel must not inherit the write descriptor, or
        // executing the script fails with ETXTBSY ("Text file busy").
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try #require(fd >= 0)
        let bytes = Array(("#!/bin/sh\n" + body + "\n").utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
        close(fd)
        return (directory, path)
    }

    /// A wrapper (as `faketime` is) forks the server: pause, kill and stop must reach the server itself, and
    /// nodes on their own addresses share one port.
    @Test func wrappedServersGetTheSignalsAndOwnAddresses() throws {
        let (directory, script) = try makeScript("echo \"$@\"; exec sleep 30")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = try ClusterLauncher(
            executable: script,
            nodeCount: 2,
            dataDirectory: directory + "/data",
            replicationFactor: 1,
            hosts: ["127.0.0.21", "127.0.0.22"],
            // sh runs the server as a child and waits (it does not exec it), like faketime.
            wrapper: { _ in ["/bin/sh", "-c", "\"$@\"; exit $?", "wrapper"] }
        )
        defer { launcher.stopAll(grace: .seconds(1)) }
        #expect(launcher.addresses.map(\.host) == ["127.0.0.21", "127.0.0.22"])
        #expect(Set(launcher.addresses.map(\.port)).count == 1)
        try launcher.startAll()
        let wrapper = try #require(launcher.pid(of: "n1"))
        let server = try #require(launcher.serverPID(of: "n1"))
        #expect(server != wrapper)
        // Wait until the script has run its echo: under load the pause could otherwise land before it, and the
        // kill below would end it before it ever printed.
        waitForLog(of: launcher.nodes[0], toContain: "--node-id n1")
        #expect(try launcher.pause("n1"))
        for _ in 0..<100 where Self.state(of: server) != "T" { usleep(10_000) }  // delivery is asynchronous
        #expect(Self.state(of: server) == "T", "the server, not the wrapper, must be stopped")
        #expect(Self.state(of: wrapper) != "T")
        #expect(try launcher.resume("n1"))
        #expect(try launcher.kill("n1"))
        #expect(!LocalCluster.isAlive(server))
        #expect(!LocalCluster.isAlive(wrapper))
        let server2 = try #require(launcher.serverPID(of: "n2"))
        launcher.stopAll(grace: .seconds(2))
        #expect(!LocalCluster.isAlive(server2))
        let log = try String(contentsOfFile: launcher.nodes[0].logPath, encoding: .utf8)
        #expect(log.contains("server --node-id n1 --listen 127.0.0.21:\(launcher.nodes[0].address.port)"))
    }

    /// Waits up to 10 s until the node's log contains `text`: the script's echo runs asynchronously, and under load a
    /// stop or kill could otherwise land before it.
    func waitForLog(of node: ClusterLauncher.Node, toContain text: String) {
        for _ in 0..<1000 where !((try? String(contentsOfFile: node.logPath, encoding: .utf8)) ?? "").contains(text) {
            usleep(10_000)
        }
    }

    /// The state letter of /proc/PID/stat (R, S, T, Z, ...).
    static func state(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return String(stat[stat.index(close, offsetBy: 2)])
    }

    @Test func startsKillsRestartsAndStopsChildren() throws {
        let (directory, script) = try makeScript("echo \"$@\"; exec sleep 30")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = try ClusterLauncher(
            executable: script,
            nodeCount: 3,
            dataDirectory: directory + "/data",
            replicationFactor: 2,
            virtualNodes: 4
        )
        defer { launcher.stopAll(grace: .seconds(1)) }
        #expect(Set(launcher.addresses.map(\.port)).count == 3)
        try launcher.startAll()
        let pids = launcher.nodes.compactMap { launcher.pid(of: $0.id.name) }
        #expect(pids.count == 3)
        #expect(launcher.nodes.allSatisfy { launcher.isRunning($0.id.name) })
        // The command lines are checked at the end; n1 must have printed its own before it is stopped.
        waitForLog(of: launcher.nodes[0], toContain: "--exit-with-parent")

        #expect(try launcher.kill("n2"))
        #expect(!launcher.isRunning("n2"))
        #expect(!LocalCluster.isAlive(pids[1]))
        #expect(try launcher.kill("n2") == false)
        #expect(throws: ClusterLauncherError.alreadyRunning("n1")) { try launcher.start("n1") }
        #expect(throws: ClusterLauncherError.unknownNode("n9")) { try launcher.kill("n9") }
        try launcher.start("n2")
        #expect(launcher.isRunning("n2"))

        launcher.stopAll(grace: .seconds(5))
        for node in launcher.nodes { #expect(!launcher.isRunning(node.id.name)) }
        for pid in pids { #expect(!LocalCluster.isAlive(pid)) }

        // Each node got the server command line, and its output went to its log.
        let log = try String(contentsOfFile: launcher.nodes[0].logPath, encoding: .utf8)
        #expect(log.contains("server --node-id n1 --listen 127.0.0.1:\(launcher.nodes[0].address.port)"))
        #expect(log.contains("--members \(launcher.memberList) --replication 2 --vnodes 4 --exit-with-parent"))
    }

    @Test func aChildThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() throws {
        let (directory, script) = try makeScript("trap '' TERM; exec sleep 30")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = try ClusterLauncher(
            executable: script,
            nodeCount: 1,
            dataDirectory: directory + "/data",
            replicationFactor: 1
        )
        try launcher.startAll()
        let pid = try #require(launcher.pid(of: "n1"))
        usleep(100_000)  // let the shell install its trap
        let started = ContinuousClock.now
        launcher.stopAll(grace: .milliseconds(300))
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(!LocalCluster.isAlive(pid))
    }

    @Test func aNodeThatExitsDuringStartupIsReportedWithItsLog() async throws {
        let (directory, script) = try makeScript("echo 'cannot bind: address in use' >&2; exit 3")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = try ClusterLauncher(
            executable: script,
            nodeCount: 1,
            dataDirectory: directory + "/data",
            replicationFactor: 1
        )
        try launcher.startAll()
        let error = await #expect(throws: ClusterLauncherError.self) {
            try await launcher.waitUntilReady(timeout: .seconds(60))
        }
        #expect(error?.description.contains("n1 exited with status 3") == true, "\(String(describing: error))")
        #expect(error?.description.contains("cannot bind: address in use") == true)
    }

    @Test func badSettingsAreRejected() throws {
        #expect(throws: ClusterLauncherError.self) {
            try ClusterLauncher(executable: "/bin/sh", nodeCount: 0, dataDirectory: "/tmp/x", replicationFactor: 1)
        }
        #expect(throws: ClusterLauncherError.self) {
            try ClusterLauncher(executable: "/bin/sh", nodeCount: 2, dataDirectory: "/tmp/x", replicationFactor: 3)
        }
        #expect(throws: ClusterLauncherError.executableNotFound("/no/such/tessera")) {
            try ClusterLauncher(
                executable: "/no/such/tessera",
                nodeCount: 1,
                dataDirectory: "/tmp/x",
                replicationFactor: 1
            )
        }
    }
}
