import Foundation
import NIOCore
import NIOPosix
public import TesseraCore
import TesseraWire

/// The node memory workloads of `tessera bench memory` (and the bounds asserted by the memory tests): the
/// resident set size (VmRSS) of one node process before, at the peak of, and after
///
/// - **large GETs**: bursts of pipelined GETs of one large value from a client that reads every reply;
/// - **non-reading client**: a client that pipelines GETs of the large value and never reads, while a second
///   client keeps writing at QUORUM through the same node (counted) and the node's peers are watched.
///
/// Talks to the node with `WireConnection` and raw frames; the node runs as a real process
/// (`ClusterLauncher`), its RSS read from `/proc/PID/status`.
public struct MemoryBenchmark: Sendable {
    public struct Configuration: Sendable {
        public var valueSize = 1 << 20
        public var bursts = 6
        public var getsPerBurst = 200
        public var consistency: ConsistencyLevel = .one
        /// The timeout each GET asks for (the node keeps a request until its deadline at most).
        public var getTimeoutMillis: UInt32 = 30_000
        /// Seconds the non-reading client keeps sending.
        public var nonReadingSeconds = 10.0
        /// GETs the non-reading client sends (it stops earlier if its socket stops taking them).
        public var nonReadingGets = 20_000
        /// Connections the non-reading client opens (each sends `nonReadingGets` and never reads).
        public var nonReadingConnections = 1
        /// Pause between the QUORUM writes (and peer checks) through the node during the non-reading load.
        public var writeIntervalMillis = 100
        /// Seconds to wait after a workload before the "after" sample.
        public var settleSeconds = 2.0
        public init() {}
    }

    /// One workload's RSS in bytes.
    public struct Sample: Sendable {
        public var workload: String
        public var before: Int
        public var peak: Int
        public var after: Int
        /// RSS after each burst (large GETs only).
        public var afterEachBurst: [Int] = []
        /// QUORUM writes that succeeded / failed during the workload (non-reading client only).
        public var quorumWritesOK = 0
        public var quorumWritesFailed = 0
        /// The most peers the node reported down during the workload.
        public var maxPeersDown = 0
        /// Whether the node closed the non-reading connection by itself.
        public var nodeClosedConnection = false
    }

    public let configuration: Configuration
    public let host: String
    public let port: Int
    public let pid: Int32

    public init(configuration: Configuration, host: String, port: Int, pid: Int32) {
        self.configuration = configuration
        self.host = host
        self.port = port
        self.pid = pid
    }

    /// VmRSS of `pid` in bytes (0 if the process is gone).
    public static func residentBytes(of pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return digits * 1024
        }
        return 0
    }

    var key: [UInt8] { Array("memory-bench-large".utf8) }
    var group: MultiThreadedEventLoopGroup { .singleton }

    private func connect() async throws -> WireConnection {
        try await WireConnection.connect(host: host, port: port, group: group, connectTimeout: .seconds(5))
    }

    /// Writes the large value (at ALL, so every replica holds it).
    public func load() async throws {
        let connection = try await connect()
        defer { connection.close() }
        var value = [UInt8](repeating: 0, count: configuration.valueSize)
        var random = SplitMix64(seed: 42)
        for i in value.indices { value[i] = UInt8(truncatingIfNeeded: random.next()) }
        let reply = try await connection.response(
            to: .put(key: key, value: value, consistency: .all, timeoutMillis: 30_000), timeout: .seconds(60))
        guard case .writeResult = reply else { throw TesseraError(.internalError, "loading the value failed: \(reply)") }
    }

    /// Samples RSS every 50 ms while `body` runs; returns the peak.
    private func sampling(_ body: () async throws -> Void) async throws -> Int {
        let pid = self.pid
        let peak = Task.detached { () -> Int in
            var peak = 0
            while !Task.isCancelled {
                peak = max(peak, Self.residentBytes(of: pid))
                try? await Task.sleep(for: .milliseconds(50))
            }
            return peak
        }
        do {
            try await body()
        } catch {
            peak.cancel()
            throw error
        }
        peak.cancel()
        return max(await peak.value, Self.residentBytes(of: pid))
    }

    private func settle() async throws {
        try await Task.sleep(for: .milliseconds(Int(configuration.settleSeconds * 1000)))
    }

    /// Bursts of pipelined GETs of the large value; every reply is read and checked.
    public func largeGets(progress: (String) -> Void = { _ in }) async throws -> Sample {
        try await settle()
        var sample = Sample(workload: "large GETs", before: Self.residentBytes(of: pid), peak: 0, after: 0)
        for burst in 1...configuration.bursts {
            let connection = try await connect()
            let peak = try await sampling {
                let futures = (0..<configuration.getsPerBurst).map { _ in
                    connection.request(
                        .get(key: key, consistency: configuration.consistency, timeoutMillis: configuration.getTimeoutMillis),
                        timeout: .seconds(60))
                }
                for future in futures {
                    guard case .getResult(let cell?) = try await future.get(), cell.value?.count == configuration.valueSize
                    else { throw TesseraError(.internalError, "a GET of the large value did not return it") }
                }
            }
            try await connection.close().get()
            sample.peak = max(sample.peak, peak)
            try await settle()
            let after = Self.residentBytes(of: pid)
            sample.afterEachBurst.append(after)
            progress("burst \(burst)/\(configuration.bursts): peak \(mib(peak)) MiB, after \(mib(after)) MiB")
        }
        sample.after = sample.afterEachBurst.last ?? Self.residentBytes(of: pid)
        return sample
    }

    /// A client that pipelines GETs and never reads, while QUORUM writes go through the same node.
    public func nonReadingClient(progress: (String) -> Void = { _ in }) async throws -> Sample {
        try await settle()
        var sample = Sample(workload: "non-reading client", before: Self.residentBytes(of: pid), peak: 0, after: 0)
        var channels: [any Channel] = []
        for _ in 0..<max(1, configuration.nonReadingConnections) {
            channels.append(
                try await ClientBootstrap(group: group)
                    .channelOption(.autoRead, value: false)
                    .connect(host: host, port: port).get())
        }
        let writer = try await connect()
        var quorumOK = 0
        var quorumFailed = 0
        var maxDown = 0
        let deadline = ContinuousClock.now + .milliseconds(Int(configuration.nonReadingSeconds * 1000))
        sample.peak = try await sampling {
            // Send the GETs in chunks without waiting (the node stops reading when its bounds are reached; the
            // kernel buffers fill; then the writes here queue in this process).
            var sent = 0
            var chunk = ByteBufferAllocator().buffer(capacity: 64 * 1024)
            while sent < configuration.nonReadingGets {
                chunk.clear()
                for _ in 0..<min(1000, configuration.nonReadingGets - sent) {
                    sent += 1
                    WireCodec.encode(
                        requestID: UInt64(sent),
                        message: .get(key: key, consistency: .one, timeoutMillis: 60_000),
                        into: &chunk)
                }
                for channel in channels { channel.writeAndFlush(chunk, promise: nil) }
            }
            var round = 0
            while ContinuousClock.now < deadline {
                round += 1
                let put = WireMessage.put(
                    key: Array("memory-bench-w\(round)".utf8), value: [UInt8](repeating: 1, count: 100),
                    consistency: .quorum, timeoutMillis: 2000)
                if case .writeResult? = try? await writer.response(to: put, timeout: .seconds(5)) {
                    quorumOK += 1
                } else {
                    quorumFailed += 1
                }
                if case .statusResult(let status)? = try? await writer.response(to: .status, timeout: .seconds(5)) {
                    maxDown = max(maxDown, status.peersDown.count)
                }
                if round % 10 == 0 {
                    progress("non-reading client: RSS \(mib(Self.residentBytes(of: pid))) MiB, \(quorumOK) QUORUM writes ok, \(quorumFailed) failed")
                }
                try await Task.sleep(for: .milliseconds(configuration.writeIntervalMillis))
            }
        }
        sample.nodeClosedConnection = channels.allSatisfy { !$0.isActive }
        for channel in channels { try? await channel.close() }
        writer.close()
        try await settle()
        sample.after = Self.residentBytes(of: pid)
        sample.quorumWritesOK = quorumOK
        sample.quorumWritesFailed = quorumFailed
        sample.maxPeersDown = maxDown
        return sample
    }

    /// The report's lines.
    public static func format(_ samples: [Sample]) -> String {
        var lines = ["workload              before MiB  peak MiB  after MiB  notes"]
        for s in samples {
            var notes: [String] = []
            if !s.afterEachBurst.isEmpty { notes.append("after each burst: " + s.afterEachBurst.map { mib($0) }.joined(separator: ", ")) }
            if s.workload == "non-reading client" {
                notes.append("QUORUM writes \(s.quorumWritesOK) ok / \(s.quorumWritesFailed) failed")
                notes.append("max peers down \(s.maxPeersDown)")
                notes.append(s.nodeClosedConnection ? "node closed the connection" : "connection still open")
            }
            lines.append(
                s.workload.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + mib(s.before).leftPadded(10) + mib(s.peak).leftPadded(10) + mib(s.after).leftPadded(11)
                    + "  " + notes.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }
}

func mib(_ bytes: Int) -> String { String(bytes >> 20) }

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
