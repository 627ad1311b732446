public import NIOCore
import NIOPosix
import TesseraCore

/// A pipelined client connection: many requests in flight, replies matched by request id.
///
/// Used by the node's peer transport and by TesseraClient. Thread-safe: `request` may be called from any
/// thread; called on the connection's event loop it goes straight to the handler (no hop). Frames queued in
/// one event-loop tick leave in one write and one flush.
///
/// Errors: an ERROR reply is returned as `.error(TesseraError)`, not thrown. The future fails only with
/// `TesseraError`: `.unavailable` if the connection was already closed (the request was not sent),
/// `.timeout` if no reply came before `timeout` or the connection closed while the request was in flight
/// (the request may have been applied), `.protocolError` if the peer sent bytes that are not a frame.
public final class WireConnection: Sendable {
    /// The underlying channel.
    public let channel: any Channel
    /// `host:port` of the peer, for messages.
    public let peerDescription: String
    private let handler: NIOLoopBound<WireClientHandler>

    /// The event loop the connection lives on. Futures returned by `request` complete on it.
    public var eventLoop: any EventLoop { channel.eventLoop }

    /// True until the connection closes (by either side).
    public var isActive: Bool { channel.isActive }

    /// Completes when the connection has closed.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    private init(channel: any Channel, peerDescription: String, handler: NIOLoopBound<WireClientHandler>) {
        self.channel = channel
        self.peerDescription = peerDescription
        self.handler = handler
    }

    /// Connects to `host:port`. The returned future completes on the connection's event loop.
    ///   - localHost: if set to an IP address other than a wildcard (0.0.0.0, ::), the connection leaves from
    ///     this address (port chosen by the kernel) instead of the source address the kernel's route picks: a
    ///     node binds its peer connections to its listen address, so firewall rules by address pair match them.
    ///   - tlsHandler: if set, makes the TLS client handler (NIOSSL's, from TesseraNode or TesseraClient, which
    ///     link swift-nio-ssl; this module does not) put in front of the framing; the future then completes only
    ///     after the TLS handshake; it fails with `unauthenticated` if TLS refused the other side (certificate,
    ///     protocol), with `unavailable` if the connection closed or `connectTimeout` passed mid-handshake.
    public static func connect(
        host: String,
        port: Int,
        group: any EventLoopGroup,
        connectTimeout: TimeAmount = .seconds(2),
        localHost: String? = nil,
        tlsHandler: (@Sendable () throws -> any ChannelHandler)? = nil
    ) -> EventLoopFuture<WireConnection> {
        let peer = "\(host):\(port)"
        // Completed by TLSHandshakeWatcher; failed below when the TCP connect itself fails (never leaked).
        let handshake = tlsHandler.map { _ in group.any().makePromise(of: Void.self) }
        var bootstrap = ClientBootstrap(group: group)
        if let localHost, localHost != "0.0.0.0", localHost != "::",
            let local = try? SocketAddress(ipAddress: localHost, port: 0)
        {
            bootstrap = bootstrap.bind(to: local)
        }
        return bootstrap
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsHandler, let handshake {
                        try channel.pipeline.syncOperations.addHandler(try tlsHandler())
                        try channel.pipeline.syncOperations.addHandler(TLSHandshakeWatcher(promise: handshake))
                    }
                    try channel.pipeline.syncOperations.addHandler(WireClientHandler(peerDescription: peer))
                }
            }
            .connect(host: host, port: port)
            .flatMapError { error in
                handshake?.fail(error)
                return group.any().makeFailedFuture(error)
            }
            .flatMap { channel -> EventLoopFuture<any Channel> in
                guard let handshake else { return channel.eventLoop.makeSucceededFuture(channel) }
                // A peer that accepts TCP but never finishes the handshake must not hold the connect forever
                // (a peer link would never retry): the handshake gets the connect timeout too.
                let timer = channel.eventLoop.scheduleTask(in: connectTimeout) {
                    handshake.fail(ChannelError.connectTimeout(connectTimeout))
                }
                handshake.futureResult.whenComplete { _ in timer.cancel() }
                return handshake.futureResult.hop(to: channel.eventLoop).map { channel }.flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    // Closed or timed out mid-handshake: not a refusal, the next node may be tried.
                    if let channelError = error as? ChannelError {
                        throw TesseraError(.unavailable, "TLS handshake with \(peer) did not finish: \(channelError)")
                    }
                    throw TesseraError(.unauthenticated, "TLS handshake with \(peer) failed: \(error)")
                }
            }
            .flatMap { channel in
                channel.eventLoop.submit {
                    let handler = try channel.pipeline.syncOperations.handler(type: WireClientHandler.self)
                    return WireConnection(
                        channel: channel,
                        peerDescription: peer,
                        handler: NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    )
                }
            }
            .flatMapErrorThrowing { error in
                if error is TesseraError { throw error }
                throw TesseraError(.unavailable, "cannot connect to \(peer): \(error)")
            }
    }

    /// Connects to `host:port`; throws `TesseraError(.unavailable)` if that fails.
    public static func connect(
        host: String,
        port: Int,
        group: any EventLoopGroup,
        connectTimeout: TimeAmount = .seconds(2)
    ) async throws -> WireConnection {
        try await connect(host: host, port: port, group: group, connectTimeout: connectTimeout).get()
    }

    /// Sends `message` and returns a future of the reply (completed on `eventLoop`).
    public func request(_ message: WireMessage, timeout: TimeAmount) -> EventLoopFuture<WireMessage> {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: WireMessage.self)
        if loop.inEventLoop {
            handler.value.send(message, timeout: timeout, completion: .promise(promise))
        } else {
            let handler = self.handler
            loop.execute { handler.value.send(message, timeout: timeout, completion: .promise(promise)) }
        }
        return promise.futureResult
    }

    /// Sends `message` and calls `callback` with the reply or the error (same errors as `request`), on the
    /// event loop. For callers already on `eventLoop` (the node's peer transport): no promise, no future.
    ///
    /// - Precondition: called on `eventLoop`.
    package func request(
        _ message: WireMessage,
        timeout: TimeAmount,
        callback: @escaping (Result<WireMessage, TesseraError>) -> Void
    ) {
        handler.value.send(message, timeout: timeout, completion: .callback(callback))
    }

    /// Sends `message` and waits for the reply (see the type's documentation for errors).
    public func response(to message: WireMessage, timeout: TimeAmount) async throws -> WireMessage {
        try await request(message, timeout: timeout).get()
    }

    /// Closes the connection; outstanding requests fail.
    @discardableResult
    public func close() -> EventLoopFuture<Void> {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.close(promise: promise)
        return promise.futureResult.recover { _ in }
    }
}
