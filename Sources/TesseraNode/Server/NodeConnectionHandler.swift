import NIOCore
import TesseraCluster
import TesseraCore
import TesseraWire

/// One accepted connection (client or peer): frames in, requests to `NodeCore`, replies out.
///
/// Replies produced while reading are flushed once in `channelReadComplete`; replies that complete later (after
/// replica answers or storage calls) are gathered and flushed once per event-loop tick. A frame that cannot be
/// decoded gets one ERROR (`protocolError`) and the connection is closed. Confined to the channel's event loop.
final class NodeConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: NodeCore
    private var reader = WireFrameReader()
    private var context: ChannelHandlerContext?
    private var outbound = ByteBuffer()
    private var reading = false
    private var flushScheduled = false
    private var broken = false
    /// A read was held back because the peer is not taking our replies (the channel is not writable).
    private var readHeld = false
    /// Requests admitted by `core.admission` and not answered yet, by request id (admission control).
    private var admitted: [UInt64: AdmissionControl.Kind] = [:]
    private var connectionID: UInt64 { UInt64(UInt(bitPattern: ObjectIdentifier(self).hashValue)) }

    init(core: NodeCore) {
        self.core = core
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.outbound = context.channel.allocator.buffer(capacity: 4096)
        core.register(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        core.unregister(self)
        core.admission.closed(connection: connectionID)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !broken else { return }
        reading = true
        reader.append(unwrapInboundIn(data))
        do {
            while let frame = try reader.next() {
                if let kind = Self.admissionKind(frame.message), admitted[frame.requestID] == nil {
                    if let refusal = core.admission.admit(kind, connection: connectionID, nowMillis: Self.nowMillis()) {
                        reply(frame.requestID, .error(core.admission.error(for: refusal, node: core.selfID)))
                        continue
                    }
                    admitted[frame.requestID] = kind
                }
                core.handle(frame, from: self)
                if broken { break }
            }
        } catch {
            protocolError(error, context: context)
        }
        reading = false
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushNow()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if reader.bufferedBytes > 0 && !broken {
            core.countProtocolError()
        }
        context.fireChannelInactive()
    }

    /// Backpressure: while replies pile up unsent (the channel is over its write high-water mark), stop reading
    /// new requests from this connection; resume when it drains. Keeps a client that sends but never reads
    /// from growing the node's memory.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readHeld {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // I/O errors (connection reset and the like): nothing to answer, just close.
        context.close(promise: nil)
    }

    /// Answers request `requestID`. Dropped if the connection has closed.
    func reply(_ requestID: UInt64, _ message: WireMessage) {
        if let kind = admitted.removeValue(forKey: requestID) { core.admission.completed(kind, connection: connectionID) }
        guard let context, !broken, context.channel.isActive else { return }
        WireCodec.encode(requestID: requestID, message: message, into: &outbound)
        if reading { return }  // channelReadComplete flushes
        if outbound.readableBytes >= 256 * 1024 {
            flushNow()
        } else if !flushScheduled {
            flushScheduled = true
            context.eventLoop.assumeIsolated().execute { [self] in
                flushScheduled = false
                flushNow()
            }
        }
    }

    /// Data requests pass admission control; PING, RING, STATUS and replies never wait and are never refused.
    private static func admissionKind(_ message: WireMessage) -> AdmissionControl.Kind? {
        switch message {
        case .get, .put, .delete: return .client
        case .replicaWrite, .replicaRead: return .replica
        default: return nil
        }
    }

    private static func nowMillis() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1_000_000 }

    private func flushNow() {
        guard let context, outbound.readableBytes > 0 else { return }
        context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
        // Usually the socket took the bytes during the flush and released the buffer: then `clear()` reuses its
        // storage (no allocation per flush). If a write is still pending, it copies on write.
        outbound.clear()
        if outbound.capacity > 1 << 20 { outbound = context.channel.allocator.buffer(capacity: 4096) }
    }

    private func protocolError(_ error: WireError, context: ChannelHandlerContext) {
        broken = true
        core.countProtocolError()
        core.log.debug(
            "closing connection after a protocol error",
            metadata: ["remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"]
        )
        WireCodec.encode(requestID: error.requestID ?? 0, message: .error(error.tesseraError), into: &outbound)
        let bytes = outbound
        outbound = context.channel.allocator.buffer(capacity: 0)
        context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// Flushes pending replies and closes the connection.
    func close() -> EventLoopFuture<Void> {
        guard let context else { return core.eventLoop.makeSucceededVoidFuture() }
        flushNow()
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.close(promise: promise)
        return promise.futureResult.recover { _ in }
    }
}
