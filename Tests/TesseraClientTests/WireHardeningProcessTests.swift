import Foundation
import NIOCore
import NIOPosix
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore
import TesseraWire
import Testing

/// Issue 8, connection half, against real `tessera server` processes: replica opcodes only from authenticated
/// peers, versions beyond the maximum clock offset refused, half frames closed after the partial-frame timeout,
/// bounded memory for a client that never reads and after bursts of large GETs.
@Suite(.serialized) struct WireHardeningProcessTests {
    static let secret = "wire-hardening-test-secret-0123456789"

    /// Writes the secret to a file in `directory` and returns the server flags that use it.
    static func secretArguments() throws -> [String] {
        let path = NSTemporaryDirectory() + "/tessera-secret-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return ["--cluster-secret-file", path]
    }

    static func connect(_ node: ClusterLauncher.Node) async throws -> WireConnection {
        try await WireConnection.connect(
            host: node.address.host, port: node.address.port, group: MultiThreadedEventLoopGroup.singleton)
    }

    static func credentials(_ launcher: ClusterLauncher, as member: String, secret: String?) -> PeerHandshake.Credentials {
        PeerHandshake.Credentials(
            clusterName: "tessera",
            nodeID: member,
            members: Set(launcher.nodes.map(\.id.name)),
            secret: secret.map { Array($0.utf8) }
        )
    }

    static var wallMillis: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    @Test func replicaOpcodesNeedAnAuthenticatedPeerAndFutureVersionsAreRefused() async throws {
        let arguments = try Self.secretArguments() + ["--max-clock-offset-ms", "500"]
        try await LocalCluster.with(nodes: 3, replicationFactor: 3, arguments: arguments) { launcher in
            let client = try LocalCluster.client(launcher)
            let key = Array("hardening-key".utf8)
            let written = try await client.put(key, Array("original".utf8), consistency: .all)
            let n1 = launcher.nodes[0]
            let ahead = Version(timestamp: HLCTimestamp(physicalMillis: Self.wallMillis + 3_600_000, logical: 0), node: 7)

            // 1. A plain client connection: REPLICA_WRITE and REPLICA_READ refused, the connection stays usable.
            let plain = try await Self.connect(n1)
            let refused = try await plain.response(
                to: .replicaWrite(key: key, cell: Cell(version: ahead, value: Array("evil".utf8))), timeout: .seconds(10))
            guard case .error(let error) = refused else {
                Issue.record("a plain client's REPLICA_WRITE was answered with \(refused)")
                return
            }
            #expect(error.code == .invalidRequest)
            #expect(error.message.contains("peer connection"))
            let read = try await plain.response(to: .replicaRead(key: key), timeout: .seconds(10))
            #expect(read.opcode == .error)
            #expect(try await plain.response(to: .ping, timeout: .seconds(10)) == .pong)
            plain.close()

            // 2. A handshake with the wrong secret is refused and the connection closed.
            let wrong = try await Self.connect(n1)
            do {
                try await wrong.authenticateAsPeer(
                    credentials: Self.credentials(launcher, as: "n2", secret: "not-the-cluster-secret-at-all"),
                    expectedNodeID: "n1", timeout: .seconds(10)
                ).get()
                Issue.record("a handshake with the wrong secret succeeded")
            } catch let error as TesseraError {
                #expect(error.message.contains("secret"))
            }
            // Without a secret at all: refused too (the node requires one).
            let none = try await Self.connect(n1)
            await #expect(throws: TesseraError.self) {
                try await none.authenticateAsPeer(
                    credentials: Self.credentials(launcher, as: "n2", secret: nil),
                    expectedNodeID: "n1", timeout: .seconds(10)
                ).get()
            }
            none.close()
            wrong.close()
            // A stranger that skips the proof check and answers with a made-up proof: refused by the node.
            let stranger = try await Self.connect(n1)
            let challenge = try await stranger.response(
                to: .peerHello(clusterName: "tessera", nodeID: "n2", nonce: PeerHandshake.makeNonce()), timeout: .seconds(10))
            guard case .peerChallenge(_, .hmacSHA256, _, _) = challenge else {
                Issue.record("expected an HMAC challenge, got \(challenge)")
                return
            }
            let denied = try await stranger.response(to: .peerAuth(proof: [UInt8](repeating: 0, count: 32)), timeout: .seconds(10))
            #expect(denied.opcode == .error)
            #expect(denied.errorText?.contains("did not prove the cluster secret") == true)
            try await stranger.closeFuture.get()  // the node closes it

            // 3. An authenticated peer: a version an hour ahead and 2^64-1 are refused; the clock is unchanged.
            let peer = try await Self.connect(n1)
            try await peer.authenticateAsPeer(
                credentials: Self.credentials(launcher, as: "n2", secret: Self.secret),
                expectedNodeID: "n1", timeout: .seconds(10)
            ).get()
            for version in [ahead, Version(timestamp: HLCTimestamp(rawValue: .max), node: 7)] {
                let reply = try await peer.response(
                    to: .replicaWrite(key: key, cell: Cell(version: version, value: Array("future".utf8))),
                    timeout: .seconds(10))
                guard case .error(let error) = reply else {
                    Issue.record("a version \(version) was accepted: \(reply)")
                    continue
                }
                #expect(error.code == .invalidRequest)
                #expect(error.message.contains("ahead of this node's clock"))
            }
            // A version in the present is accepted from the peer (the handshake really grants replica access).
            let now = Version(timestamp: HLCTimestamp(physicalMillis: Self.wallMillis, logical: 0), node: 7)
            #expect(
                try await peer.response(
                    to: .replicaWrite(key: Array("hardening-peer".utf8), cell: Cell(version: now, value: [1])),
                    timeout: .seconds(10)) == .replicaAck)
            peer.close()

            // The data is unchanged and new writes through n1 get versions near the wall clock, not an hour ahead
            // and not 0 (the wrapped clock of issue 8).
            let value = try await client.get(key, consistency: .all)
            #expect(value?.value == Array("original".utf8))
            #expect(value?.version == written)
            let seeded = try LocalCluster.client(launcher, seeds: [n1.address])
            let version = try await seeded.put(Array("hardening-after".utf8), [2], consistency: .quorum)
            #expect(version.timestamp.physicalMillis < Self.wallMillis + 60_000)
            #expect(version.timestamp.physicalMillis > Self.wallMillis - 600_000)
            let log = try String(contentsOfFile: n1.logPath, encoding: .utf8)
            #expect(log.contains("refused a replica request on a connection that is not an authenticated peer"))
            #expect(log.contains("refused a version from the future"))
            #expect(log.contains("refused a peer handshake"))
            // The real peers authenticated with the secret: all up.
            let status = try await client.status()
            #expect(status.allSatisfy { $0.peersDown.isEmpty })
            await seeded.shutdown()
            await client.shutdown()
        }
    }

    /// The short run of `tessera fuzz` (the 1M-frame run: docs/benchmarks.md, "Wire fuzzing"): connections are
    /// reused until the node closes them, and afterwards the node answers a key written before the run, holds
    /// no more connections than before, and its peers still see it up.
    @Test func fuzzedFramesLeaveTheNodeUpWithItsData() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3) { launcher in
            let n1 = launcher.nodes[0]
            let known = try await Self.connect(n1)
            let value = Array("known value before the fuzz".utf8)
            let put = try await known.response(
                to: .put(key: Array("fuzz-known".utf8), value: value, consistency: .all, timeoutMillis: 10_000),
                timeout: .seconds(30))
            guard case .writeResult = put else { Issue.record("put failed: \(put)"); return }
            known.close()
            var fuzzer = WireFuzzer(host: n1.address.host, port: n1.address.port, seed: 8, frames: 5_000)
            fuzzer.pid = launcher.serverPID(of: n1.id.name)
            let report = try await fuzzer.run()
            print(report)
            #expect(report.framesSent >= 5_000)
            #expect(report.nodeUpAfterwards)
            #expect(report.sentinelsChecked == 50)
            #expect(report.sentinelsIntact == 50)
            #expect(report.malformedFrames > 0)
            #expect((report.errorCodes["protocolError"] ?? 0) > 0)
            #expect((report.errorCodes["invalidRequest"] ?? 0) > 0)
            #expect((report.replies["writeResult"] ?? 0) > 0)
            #expect((report.replies["pong"] ?? 0) > 0)
            // Connections are reused: far fewer than one per batch of 32, and each ended by the node.
            #expect(report.connections < report.framesSent / 4)
            #expect(report.connections - report.workers <= report.closedByNode)
            // Nothing leaked: the node's descriptors are back to their count (a few of slack for peer links
            // reconnecting), and its RSS did not run away.
            #expect(report.nodeFDsBefore > 0)
            #expect(report.nodeFDsAfter <= report.nodeFDsBefore + 4, "fds \(report.nodeFDsBefore) -> \(report.nodeFDsAfter)")
            #expect(report.nodeRSSAfter < report.nodeRSSBefore + 200 << 20)
            // The key written before the run reads back, at ONE from n1 and at ALL.
            let after = try await Self.connect(n1)
            for level in [ConsistencyLevel.one, .all] {
                let reply = try await after.response(
                    to: .get(key: Array("fuzz-known".utf8), consistency: level, timeoutMillis: 10_000),
                    timeout: .seconds(30))
                guard case .getResult(let cell?) = reply else { Issue.record("get at \(level): \(reply)"); continue }
                #expect(cell.value == value)
            }
            after.close()
            // The other nodes are up and still see n1 up.
            let client = try LocalCluster.client(launcher)
            let status = try await client.status()
            #expect(status.count == 3)
            #expect(status.allSatisfy { $0.peersDown.isEmpty })
            await client.shutdown()
        }
    }

    @Test func aHalfFrameIsClosedAfterThePartialFrameTimeout() async throws {
        try await LocalCluster.with(
            nodes: 1, replicationFactor: 1, arguments: ["--partial-frame-timeout-ms", "1000"]
        ) { launcher in
            let node = launcher.nodes[0]
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: node.address.host, port: node.address.port).get()
            // A GET frame cut in half: the length says 21 bytes follow, 8 are sent.
            var frame = ByteBuffer()
            WireCodec.encode(
                requestID: 1, message: .get(key: Array("k".utf8), consistency: .one, timeoutMillis: 0), into: &frame)
            let half = frame.getSlice(at: 0, length: 12)!
            let started = ContinuousClock.now
            try await channel.writeAndFlush(half)
            try await Task.sleep(for: .milliseconds(400))
            #expect(channel.isActive, "closed before the partial-frame timeout")
            try await channel.closeFuture.get()  // the node closes it
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(900))
            // Other connections are unaffected.
            let other = try await Self.connect(node)
            #expect(try await other.response(to: .ping, timeout: .seconds(10)) == .pong)
            other.close()
            let log = try String(contentsOfFile: node.logPath, encoding: .utf8)
            #expect(log.contains("closing a connection whose frame stayed incomplete"))
        }
    }

    /// RSS bounds with the measured numbers in docs/benchmarks.md ("Node memory"): there, 1 MiB values, a
    /// baseline of ~33 MiB, peaks of 160-370 MiB and RSS back at the baseline after the load.
    @Test func memoryStaysBoundedForANonReadingClientAndReturnsAfterLargeGets() async throws {
        try await LocalCluster.with(
            nodes: 3, replicationFactor: 3, arguments: ["--write-stall-timeout-ms", "3000"]
        ) { launcher in
            guard let pid = launcher.pid(of: "n1") else {
                Issue.record("n1 is not running")
                return
            }
            var configuration = MemoryBenchmark.Configuration()
            configuration.bursts = 3
            configuration.getsPerBurst = 100
            configuration.nonReadingSeconds = 6
            configuration.nonReadingGets = 5_000
            configuration.settleSeconds = 1.5
            configuration.getTimeoutMillis = 30_000
            let n1 = launcher.nodes[0]
            let benchmark = MemoryBenchmark(configuration: configuration, host: n1.address.host, port: n1.address.port, pid: pid)
            try await benchmark.load()
            let stalled = try await benchmark.nonReadingClient()
            let gets = try await benchmark.largeGets()
            print(MemoryBenchmark.format([stalled, gets]))
            let mib = 1 << 20
            // Non-reading client: 32 requests in flight and a 32 MiB connection buffer bound the node's memory.
            #expect(stalled.peak < stalled.before + 400 * mib)
            #expect(stalled.nodeClosedConnection)
            // QUORUM writes through n1 during the stall are printed, not asserted: on a loaded machine many fail
            // while the stalled connection is open (docs/benchmarks.md, "Node memory", open problem). Once the
            // node closed it they all succeed and every peer is up again (checked below).
            #expect(stalled.after < stalled.before + 100 * mib)
            // Large GETs: RSS returns near the baseline after every burst (it grew ~500 MiB per burst before).
            #expect(gets.peak < gets.before + 600 * mib)
            for after in gets.afterEachBurst { #expect(after < gets.before + 150 * mib) }
            let client = try LocalCluster.client(launcher, seeds: [n1.address])
            for i in 0..<5 { _ = try await client.put("after-stall-\(i)", "v", consistency: .quorum) }
            #expect(try await client.status().allSatisfy { $0.peersDown.isEmpty })
            await client.shutdown()
        }
    }
}

extension WireMessage {
    fileprivate var errorText: String? {
        if case .error(let error) = self { return error.message }
        return nil
    }
}
