import Logging
import NIOCore
import NIOPosix
import Synchronization
import TesseraCore
import TesseraLocalCluster
import TesseraNode
import TesseraRing
import TesseraWire
import Testing

/// Pings the black hole answered, over all its connections: the test waits for one, so n1 has a connected,
/// authenticated link to n3 before it writes.
private let blackHolePongs = Atomic<Int>(0)

/// Accepts connections, completes the peer handshake as n3 (no cluster secret), answers pings, and reads every
/// other request without answering: a replica whose requests hang (a stuck disk, an overloaded store) while the
/// node itself is reachable. Answering pings keeps n3 up in n1's failure detector even if a stall of the whole test
/// process once broke a connection (a broken connection counts as down until n3 is heard from again).
private final class BlackHoleHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var reader = WireFrameReader()
    private var welcomed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reader.append(unwrapInboundIn(data))
        while let frame = try? reader.next() {
            var out = context.channel.allocator.buffer(capacity: 128)
            switch frame.message {
            case .peerHello where !welcomed:
                let challenge = WireMessage.peerChallenge(
                    nodeID: "n3", mode: .memberID, nonce: PeerHandshake.makeNonce(), proof: [])
                WireCodec.encode(requestID: frame.requestID, message: challenge, into: &out)
            case .peerAuth where !welcomed:
                WireCodec.encode(requestID: frame.requestID, message: .peerWelcome, into: &out)
                welcomed = true
            case .ping where welcomed:
                WireCodec.encode(requestID: frame.requestID, message: .pong, into: &out)
                blackHolePongs.add(1, ordering: .relaxed)
            default:
                continue  // a replica request: read, never answered
            }
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }
}

/// Two real nodes and a hanging third member (n3): writes that need it time out with an indeterminate
/// outcome, reads that asked it are answered by the spare replica.
@Suite(.serialized) struct NodeSlowReplicaTests {
    @Test func hangingReplicaTimesOutAllWritesAndReadsUseTheSpare() async throws {
        let blackHole = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(BlackHoleHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let ports = try ClusterLauncher.freePorts(count: 2)
        let members = [
            MemberAddress(id: NodeID("n1"), host: "127.0.0.1", port: ports[0]),
            MemberAddress(id: NodeID("n2"), host: "127.0.0.1", port: ports[1]),
            MemberAddress(id: NodeID("n3"), host: "127.0.0.1", port: blackHole.localAddress!.port!),
        ]
        let directory = makeTemporaryDirectory()
        var nodes: [TesseraNodeServer] = []
        do {
            for index in 0..<2 {
                var config = NodeConfiguration(
                    nodeID: members[index].id, listenHost: "127.0.0.1", listenPort: members[index].port,
                    dataDirectory: "\(directory)/\(members[index].id)", members: members, replicationFactor: 3,
                    virtualNodes: 8, clusterName: "slow", syncPolicy: .never
                )
                // Keep n3 "alive" for the whole test: it accepts connections but never answers.
                config.peerDownAfterMillis = 60_000
                config.phiThreshold = 1e12
                config.pingIntervalMillis = 100
                var logger = Logger(label: "test")
                logger.logLevel = .error
                nodes.append(try await TesseraNodeServer.start(configuration: config, logger: logger))
            }
            let connection = try await WireConnection.connect(
                host: "127.0.0.1", port: ports[0], group: MultiThreadedEventLoopGroup.singleton)
            // Wait until n1 sees n2 (connected and answering) and n3 (connected, authenticated and answering its
            // pings: under load that can come after n2 is up, and before it an ALL write is refused with "2 alive").
            let ready = await eventually(seconds: 20) {
                guard blackHolePongs.load(ordering: .relaxed) > 0 else { return false }
                if case .statusResult(let s)? = try? await connection.response(to: .status, timeout: .seconds(2)) {
                    return s.peersUp.contains("n2") && s.peersUp.contains("n3")
                }
                return false
            }
            #expect(ready)

            // ALL needs n3: a timeout that says the write may have been applied.
            let all = try await connection.response(
                to: .put(key: Array("k".utf8), value: [1], consistency: .all, timeoutMillis: 300), timeout: .seconds(10))
            guard case .error(let error) = all else {
                Issue.record("expected a timeout, got \(all)")
                throw TesseraError(.internalError, "unexpected reply")
            }
            #expect(error.code == .timeout)
            #expect(error.isIndeterminate)
            #expect(error.message.contains("2 of 3"))
            #expect(error.message.contains("may have been applied"))

            // QUORUM writes and reads succeed; for keys whose first replicas include n3, the read goes to the
            // spare (n2) after the speculative delay.
            let ring = Ring(members: members.map(\.id), virtualNodes: 8)
            var viaSpare = 0
            for i in 0..<40 {
                let key = Array("key-\(i)".utf8)
                let put = try await connection.response(
                    to: .put(key: key, value: Array("v\(i)".utf8), consistency: .quorum, timeoutMillis: 2000),
                    timeout: .seconds(10))
                guard case .writeResult(_, 2) = put else {
                    Issue.record("unexpected \(put)")
                    continue
                }
                let get = try await connection.response(
                    to: .get(key: key, consistency: .quorum, timeoutMillis: 2000), timeout: .seconds(10))
                #expect(try value(of: get) == "v\(i)")
                let others = ring.preferenceList(for: key, replicationFactor: 3).filter { $0 != NodeID("n1") }
                if others.first == NodeID("n3") { viaSpare += 1 }
            }
            #expect(viaSpare > 0)  // the spare path was exercised
            connection.close()
        } catch {
            for node in nodes { try? await node.shutdown() }
            try? await blackHole.close()
            removeTree(directory)
            throw error
        }
        for node in nodes { try? await node.shutdown() }
        try await blackHole.close()
        removeTree(directory)
    }
}
