import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay for tests: accepts on a free loopback port, connects each accepted connection to `target`, and
/// forwards bytes both ways while recording every byte it forwarded (what a tap on the wire would see).
final class ByteRecordingRelay: Sendable {
    let port: Int
    private let channel: any Channel
    private let recorded: Recording

    final class Recording: Sendable {
        let bytes = Mutex<[UInt8]>([])
        func append(_ buffer: ByteBuffer) { bytes.withLock { $0 += buffer.readableBytesView } }
    }

    /// Every byte forwarded so far, in either direction.
    var bytes: [UInt8] { recorded.bytes.withLock { $0 } }

    /// True when `needle` occurs in the recorded bytes.
    func saw(_ needle: [UInt8]) -> Bool {
        let haystack = bytes
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    private init(port: Int, channel: any Channel, recorded: Recording) {
        self.port = port
        self.channel = channel
        self.recorded = recorded
    }

    static func start(to host: String, port targetPort: Int) async throws -> ByteRecordingRelay {
        let recorded = Recording()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                inbound.eventLoop.makeCompletedFuture {
                    // Bytes that arrive before the outbound side is connected wait in the forwarder.
                    try inbound.pipeline.syncOperations.addHandler(Forwarder(partner: nil, recorded: recorded))
                    ClientBootstrap(group: inbound.eventLoop)
                        .channelInitializer { outbound in
                            outbound.eventLoop.makeCompletedFuture {
                                try outbound.pipeline.syncOperations.addHandler(Forwarder(partner: inbound, recorded: recorded))
                            }
                        }
                        .connect(host: host, port: targetPort)
                        .whenComplete { result in  // on inbound's event loop (the bootstrap's group)
                            switch result {
                            case .success(let outbound):
                                (try? inbound.pipeline.syncOperations.handler(type: Forwarder.self))?.connect(to: outbound)
                            case .failure:
                                inbound.close(promise: nil)
                            }
                        }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ByteRecordingRelay(port: channel.localAddress?.port ?? 0, channel: channel, recorded: recorded)
    }

    func close() async { try? await channel.close() }

    /// Writes what one side sends to the other, records it, and closes the partner when its side closes.
    private final class Forwarder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var partner: (any Channel)?
        private var pending: [ByteBuffer] = []
        private var closed = false
        let recorded: Recording

        init(partner: (any Channel)?, recorded: Recording) {
            self.partner = partner
            self.recorded = recorded
        }

        /// The other side is connected: send what waited, then forward directly.
        func connect(to channel: any Channel) {
            if closed {
                channel.close(promise: nil)
                return
            }
            partner = channel
            for buffer in pending { channel.write(buffer, promise: nil) }
            pending = []
            channel.flush()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            recorded.append(buffer)
            if let partner { partner.writeAndFlush(buffer, promise: nil) } else { pending.append(buffer) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed = true
            partner?.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
