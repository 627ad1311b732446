import NIOCore
import NIOPosix
import TesseraLocalCluster
import TesseraCore
import TesseraWire
import Testing

@testable import TesseraClient

/// The TCP transport against a scripted node: PING answers PONG, RING a one-member ring, PUT drops the
/// connection, GET never answers.
@Suite struct WireTransportTests {
    final class ScriptedNode: ChannelInboundHandler, Sendable {
        typealias InboundIn = WireFrame
        typealias OutboundOut = WireFrame

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.message {
            case .ping:
                context.writeAndFlush(
                    wrapOutboundOut(WireFrame(requestID: frame.requestID, message: .pong)),
                    promise: nil
                )
            case .ring:
                let port = context.localAddress?.port ?? 0
                let ring = WireRing(
                    clusterName: "scripted",
                    replicationFactor: 1,
                    virtualNodes: 1,
                    members: [WireMember(nodeID: "n1", host: "127.0.0.1", port: port, tokens: [0])]
                )
                context.writeAndFlush(
                    wrapOutboundOut(WireFrame(requestID: frame.requestID, message: .ringResult(ring))),
                    promise: nil
                )
            case .put:
                context.close(promise: nil)
            default:
                break  // never answers
            }
        }
    }

    func withScriptedNode(_ body: (HostAddress) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addWireFraming()
                    try channel.pipeline.syncOperations.addHandler(ScriptedNode())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let address = HostAddress(host: "127.0.0.1", port: server.localAddress?.port ?? 0)
        do {
            try await body(address)
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }

    @Test func pingRingLostConnectionsAndTimeoutsAreToldApart() async throws {
        try await withScriptedNode { address in
            let transport = WireTransport()
            let connection = try await transport.connect(to: address, timeout: .seconds(5))
            guard case .pong = try await connection.send(.ping, timeout: .seconds(5)) else {
                Issue.record("no PONG")
                return
            }
            guard case .topology(let topology) = try await connection.send(.ring, timeout: .seconds(5)) else {
                Issue.record("no ring")
                return
            }
            #expect(topology.members.map(\.id.name) == ["n1"])
            #expect(topology.members.first?.address == address)
            #expect(topology.clusterName == "scripted")

            // No answer: a timeout while the connection stays open.
            await #expect(throws: TransportFailure.timedOut) {
                _ = try await connection.send(
                    .get(key: [1], consistency: .one, timeout: .seconds(1)),
                    timeout: .milliseconds(100)
                )
            }
            #expect(connection.isActive)

            // Closed while in flight: the request may have been applied.
            let lost = await #expect(throws: TransportFailure.self) {
                _ = try await connection.send(
                    .put(key: [1], value: [2], consistency: .one, timeout: .seconds(1)),
                    timeout: .seconds(5)
                )
            }
            guard case .connectionLost = lost else {
                Issue.record("expected connectionLost, got \(String(describing: lost))")
                return
            }
            // Closed before sending: nothing was sent.
            try await Task.sleep(for: .milliseconds(50))
            let notSent = await #expect(throws: TransportFailure.self) {
                _ = try await connection.send(.ping, timeout: .seconds(1))
            }
            guard case .connectFailed = notSent else {
                Issue.record("expected connectFailed, got \(String(describing: notSent))")
                return
            }
        }
    }

    @Test func refusedAndUnresolvableAddressesFailToConnectWithAShortReason() async throws {
        let port = try ClusterLauncher.freePorts(count: 1)[0]
        let refused = await #expect(throws: TransportFailure.self) {
            _ = try await WireTransport().connect(to: HostAddress(host: "127.0.0.1", port: port), timeout: .seconds(5))
        }
        #expect("\(String(describing: refused))".contains("connection refused"))
        let unknown = await #expect(throws: TransportFailure.self) {
            _ = try await WireTransport().connect(
                to: HostAddress(host: "no-such-host.invalid", port: 7001),
                timeout: .seconds(5)
            )
        }
        guard case .connectFailed(let reason) = unknown else {
            Issue.record("expected connectFailed, got \(String(describing: unknown))")
            return
        }
        #expect(reason == "could not resolve the host name", "\(reason)")
    }
}
