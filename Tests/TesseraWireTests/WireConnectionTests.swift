import NIOCore
import NIOPosix
import TesseraCore
import TesseraWire
import Testing

/// A loopback server for connection tests: answers PING with PONG and REPLICA_READ with a result that echoes
/// the key as the value; replies to each read batch in reverse order, so matching by id is exercised. Never
/// answers STATUS (for timeout tests) and closes the connection on RING.
private final class TestServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var reader = WireFrameReader()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reader.append(unwrapInboundIn(data))
        var replies: [WireFrame] = []
        while let frame = try? reader.next() {
            switch frame.message {
            case .ping: replies.append(WireFrame(requestID: frame.requestID, message: .pong))
            case .replicaRead(let key):
                let cell = Cell(version: Version(timestamp: HLCTimestamp(rawValue: 1), node: 1), value: key)
                replies.append(WireFrame(requestID: frame.requestID, message: .replicaReadResult(cell)))
            case .ring:
                context.close(promise: nil)
                return
            default: break
            }
        }
        var out = context.channel.allocator.buffer(capacity: 256)
        for reply in replies.reversed() { WireCodec.encode(reply, into: &out) }
        if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(out), promise: nil) }
    }
}

private func withTestServer(_ body: (Int) async throws -> Void) async throws {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(TestServerHandler())
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    do {
        try await body(server.localAddress!.port!)
    } catch {
        try? await server.close()
        throw error
    }
    try await server.close()
}

@Suite struct WireConnectionTests {
    @Test func manyRequestsInFlightAreMatchedByID() async throws {
        try await withTestServer { port in
            let connection = try await WireConnection.connect(
                host: "127.0.0.1",
                port: port,
                group: MultiThreadedEventLoopGroup.singleton
            )
            let futures = (0..<2000).map { i in
                connection.request(.replicaRead(key: Array("key-\(i)".utf8)), timeout: .seconds(10))
            }
            for (i, future) in futures.enumerated() {
                let reply = try await future.get()
                guard case .replicaReadResult(let cell?) = reply else {
                    Issue.record("unexpected reply \(reply)")
                    return
                }
                #expect(cell.value == Array("key-\(i)".utf8))
            }
            #expect(try await connection.response(to: .ping, timeout: .seconds(5)) == .pong)
            #expect(connection.isActive)
            try await connection.close().get()
        }
    }

    @Test func concurrentCallersFromManyTasks() async throws {
        try await withTestServer { port in
            let connection = try await WireConnection.connect(
                host: "127.0.0.1",
                port: port,
                group: MultiThreadedEventLoopGroup.singleton
            )
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        for i in 0..<100 {
                            let key = Array("t\(task)-\(i)".utf8)
                            let reply = try await connection.response(to: .replicaRead(key: key), timeout: .seconds(10))
                            guard case .replicaReadResult(let cell?) = reply, cell.value == key else { return false }
                        }
                        return true
                    }
                }
                for try await ok in group { #expect(ok) }
            }
            try await connection.close().get()
        }
    }

    @Test func unansweredRequestTimesOut() async throws {
        try await withTestServer { port in
            let connection = try await WireConnection.connect(
                host: "127.0.0.1",
                port: port,
                group: MultiThreadedEventLoopGroup.singleton
            )
            let error = await #expect(throws: TesseraError.self) {
                try await connection.response(to: .status, timeout: .milliseconds(50))
            }
            #expect(error?.code == .timeout)
            // The connection is still usable after a timeout.
            #expect(try await connection.response(to: .ping, timeout: .seconds(5)) == .pong)
            try await connection.close().get()
        }
    }

    @Test func closeByPeerFailsOutstandingAndLaterRequests() async throws {
        try await withTestServer { port in
            let connection = try await WireConnection.connect(
                host: "127.0.0.1",
                port: port,
                group: MultiThreadedEventLoopGroup.singleton
            )
            let hanging = connection.request(.status, timeout: .seconds(30))
            let error = await #expect(throws: TesseraError.self) {
                try await connection.response(to: .ring, timeout: .seconds(30))
            }
            #expect(error?.code == .timeout)  // closed while in flight: outcome unknown
            await #expect(throws: TesseraError.self) { try await hanging.get() }
            try await connection.closeFuture.get()
            #expect(!connection.isActive)
            let late = await #expect(throws: TesseraError.self) {
                try await connection.response(to: .ping, timeout: .seconds(1))
            }
            #expect(late?.code == .unavailable)
        }
    }

    @Test func connectionRefusedIsUnavailable() async throws {
        // Bind and close a server to get a port with nothing listening.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
            host: "127.0.0.1",
            port: 0
        ).get()
        let port = server.localAddress!.port!
        try await server.close()
        let error = await #expect(throws: TesseraError.self) {
            _ = try await WireConnection.connect(
                host: "127.0.0.1",
                port: port,
                group: MultiThreadedEventLoopGroup.singleton
            )
        }
        #expect(error?.code == .unavailable)
    }
}
