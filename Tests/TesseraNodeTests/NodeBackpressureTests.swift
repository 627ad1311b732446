import NIOCore
import NIOPosix
import TesseraCore
import TesseraNode
import TesseraWire
import Testing

/// A client that sends many requests with large replies and does not read: the node stops reading from it
/// (instead of buffering every reply), keeps serving others, and delivers every reply once the client reads.
@Suite(.serialized) struct NodeBackpressureTests {
    @Test func slowReaderGetsEveryReplyAndOthersAreServedMeanwhile() async throws {
        try await TestCluster.with(size: 1, replicationFactor: 1) { cluster in
            let value = [UInt8](repeating: 0x5A, count: 1 << 20)
            let writer = try await cluster.connect(0)
            guard
                case .writeResult = try await writer.response(
                    to: .put(key: Array("big".utf8), value: value, consistency: .one, timeoutMillis: 5000),
                    timeout: .seconds(20))
            else {
                Issue.record("put failed")
                throw TesseraError(.internalError, "put failed")
            }
            let count = 100
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: cluster.members[0].port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let received = try await channel.executeThenClose { inbound, outbound in
                var requests = ByteBuffer()
                for id in 1...count {
                    WireCodec.encode(
                        WireFrame(
                            requestID: UInt64(id),
                            message: .get(key: Array("big".utf8), consistency: .one, timeoutMillis: 30_000)),
                        into: &requests)
                }
                try await outbound.write(requests)
                // Not reading yet: the node must still answer other connections.
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await writer.response(to: .ping, timeout: .seconds(5)) == .pong)
                var reader = WireFrameReader()
                var frames: [WireFrame] = []
                for try await chunk in inbound {
                    reader.append(chunk)
                    while let frame = try reader.next() { frames.append(frame) }
                    if frames.count == count { break }
                }
                return frames
            }
            #expect(received.count == count)
            #expect(Set(received.map(\.requestID)) == Set((1...count).map { UInt64($0) }))
            for frame in received {
                guard case .getResult(let cell?) = frame.message, cell.value == value else {
                    Issue.record("request \(frame.requestID): unexpected reply")
                    break
                }
            }
            writer.close()
        }
    }
}
