import Foundation
import NIOCore
import NIOPosix
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore
import TesseraWire
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Helpers for the storage fault tests that run real nodes: damage files, talk to one node, read its counters.
enum StorageFault {
    /// Flips `mask` in the byte at `offset` of the file at `path`.
    static func flipByte(_ path: String, at offset: Int, mask: UInt8 = 0x10) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try handle.read(upToCount: 1) ?? Data()
        try #require(byte.count == 1, "\(path) has no byte at \(offset)")
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([byte[0] ^ mask]))
    }

    /// The files in `directory` whose names end with `suffix`, full paths, sorted.
    static func files(_ directory: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) }.sorted()
            .map { directory + "/" + $0 }
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// A value of `size` bytes that LZ4 cannot shrink.
    static func value(_ i: Int, size: Int) -> [UInt8] {
        var rng = SplitMix64(seed: UInt64(i) &+ 0x5EED)
        return (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    static func key(_ i: Int) -> [UInt8] { Array("key-\(1_000_000 + i)".utf8) }

    /// A connection to one node, so that node coordinates (and asks itself first).
    static func connect(_ node: ClusterLauncher.Node) async throws -> WireConnection {
        try await WireConnection.connect(
            host: node.address.host, port: node.address.port, group: MultiThreadedEventLoopGroup.singleton)
    }

    /// GET through `connection`'s node.
    static func get(_ connection: WireConnection, _ key: [UInt8], _ level: ConsistencyLevel) async throws -> WireMessage {
        try await connection.response(
            to: .get(key: key, consistency: level, timeoutMillis: 10_000), timeout: .seconds(15))
    }

    /// The STATUS counters of `node`.
    static func counters(_ client: TesseraClient, _ node: ClusterLauncher.Node) async throws -> [String: UInt64] {
        let all = try await client.status()
        return all.first { $0.id == node.id }?.counters ?? [:]
    }

    /// Polls `condition` every 50 ms for at least `seconds` and at least 100 attempts (a test task starved on a
    /// loaded machine still gets its tries).
    static func eventually(_ seconds: Int = 20, _ condition: () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var attempts = 0
        while attempts < 100 || ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            attempts += 1
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    static func log(_ node: ClusterLauncher.Node) -> String {
        (try? String(contentsOfFile: node.logPath, encoding: .utf8)) ?? ""
    }

    /// Runs a program and returns its exit status.
    @discardableResult
    static func system(_ program: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs `tessera ARGUMENTS` (a server start expected to fail) and returns its exit status and stderr;
    /// SIGKILLs it after `timeout`. Output goes to a file and the wait sleeps asynchronously, so nothing blocks
    /// the test's threads.
    static func runTessera(_ arguments: [String], timeout: Duration = .seconds(30)) async throws
        -> (status: Int32?, stderr: String)
    {
        let errPath = NSTemporaryDirectory() + "tessera-stderr-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LocalCluster.binary())
        process.arguments = arguments
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        var status: Int32?
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        } else {
            status = process.terminationStatus
        }
        process.waitUntilExit()
        return (status, (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Writes `path` in 64 KiB chunks until the file system refuses (fills the disk).
    static func fillDisk(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 1, count: 64 << 10)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }
}
