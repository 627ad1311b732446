import Logging
import NIOCore

/// Sits after the listener's TLS handler: logs a failed TLS handshake (a plain-TCP client, a certificate from
/// another CA, no shared protocol version) once, with the remote address and NIOSSL's reason, then passes the
/// error on (the connection handler closes the connection). An error before the first decrypted byte is a
/// handshake failure; after that byte the handler leaves the pipeline.
final class TLSRefusalLog: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let log: Logger
    private var done = false

    init(log: Logger) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        done = true
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)  // off the read path
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            log.warning(
                "refused a connection: TLS handshake failed",
                metadata: ["remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"]
            )
        }
        context.fireErrorCaught(error)
    }
}
