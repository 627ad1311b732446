import Foundation
import TesseraLocalCluster
import TesseraClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Helpers for the end-to-end tests: find the built `tessera` binary and run real node processes.
enum LocalCluster {
    /// The `tessera` executable: `$TESSERA_BINARY`, else the one next to the test bundle (.build/debug/tessera,
    /// built by `swift build --build-tests`).
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["TESSERA_BINARY"] { return path }
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe =
            length > 0
            ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On some toolchains the test runner sits inside TesseraPackageTests.xctest/...; walk up a little.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("tessera").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        let message =
            "cannot find the tessera executable next to \(exe); "
            + "run `swift build --build-tests` first or set TESSERA_BINARY"
        Issue.record(Comment(rawValue: message))
        throw ClusterLauncherError.executableNotFound(exe)
    }

    /// Starts `nodes` servers on free loopback ports, runs `body`, and always stops them and removes their data.
    static func with<T>(
        nodes: Int,
        replicationFactor: Int,
        arguments: [String] = [],
        certificates: LocalCertificates? = nil,
        _ body: (ClusterLauncher) async throws -> T
    ) async throws -> T {
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-test")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Free ports are picked, released, then bound by the nodes: another test may take one in between, and
        // the node then exits at startup. One more attempt on fresh ports covers that race.
        var attempt = 0
        while true {
            attempt += 1
            let launcher = try ClusterLauncher(
                executable: try binary(),
                nodeCount: nodes,
                dataDirectory: directory + "/\(attempt)",
                replicationFactor: replicationFactor,
                extraServerArguments: arguments,
                certificates: certificates
            )
            defer { launcher.stopAll(grace: .seconds(3)) }
            do {
                try launcher.startAll()
                try await launcher.waitUntilReady(timeout: .seconds(60))
            } catch ClusterLauncherError.exitedDuringStartup(let node, let exit, _, let log) where attempt < 2 {
                print("retrying the cluster start: \(node) \(exit): \(log)")
                continue
            }
            return try await body(launcher)
        }
    }

    /// A client for every node of `launcher`, with a generous deadline for debug builds on a loaded machine.
    static func client(
        _ launcher: ClusterLauncher,
        seeds: [HostAddress]? = nil,
        timeout: Duration = .seconds(10)
    ) throws -> TesseraClient {
        var options = TesseraClient.Options(defaultTimeout: timeout)
        options.downNodeBackoff = .milliseconds(200)
        try launcher.certificates?.apply(to: &options)
        return try TesseraClient(seeds: seeds ?? launcher.addresses, options: options)
    }

    /// Runs `tessera ARGUMENTS` with `input` on stdin; returns its exit status and output. Kills it after
    /// `timeout`.
    static func run(
        _ arguments: [String],
        input: String = "",
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        // Drain the pipes while the process runs, so a full pipe never blocks it.
        async let out = Task.detached { stdout.fileHandleForReading.readDataToEndOfFile() }.value
        async let err = Task.detached { stderr.fileHandleForReading.readDataToEndOfFile() }.value
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            Issue.record("tessera \(arguments.joined(separator: " ")) did not finish within \(timeout); killing it")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let output = String(decoding: await out, as: UTF8.self)
        let errors = String(decoding: await err, as: UTF8.self)
        return (process.terminationStatus, output, errors)
    }

    /// True if a process with `pid` exists.
    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }
}
