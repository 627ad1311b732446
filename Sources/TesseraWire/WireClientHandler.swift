import NIOCore
import TesseraCore

/// The request side of a pipelined connection: assigns request ids, keeps the table of outstanding requests,
/// matches replies by id, times requests out, and fails everything outstanding when the connection closes.
///
/// Confined to its channel's event loop (every method must run there). Frames sent during one event-loop
/// tick are appended to one buffer and written with one flush at the end of the tick.
final class WireClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Where a reply goes: a promise (any thread's caller) or a callback (callers on the event loop; saves the
    /// promise and future allocations on the node's hot path).
    enum Completion {
        case promise(EventLoopPromise<WireMessage>)
        case callback((Result<WireMessage, TesseraError>) -> Void)

        func succeed(_ message: WireMessage) {
            switch self {
            case .promise(let promise): promise.succeed(message)
            case .callback(let callback): callback(.success(message))
            }
        }

        func fail(_ error: TesseraError) {
            switch self {
            case .promise(let promise): promise.fail(error)
            case .callback(let callback): callback(.failure(error))
            }
        }
    }

    private struct Pending {
        var completion: Completion
        var deadline: NIODeadline
    }

    /// Where the connection goes, for error messages.
    let peerDescription: String
    private var context: ChannelHandlerContext?
    private var pending: [UInt64: Pending] = [:]
    private var nextRequestID: UInt64 = 1
    private var outbound: ByteBuffer
    private var flushScheduled = false
    private var sweepScheduled = false
    private var closed = false
    private var reader = WireFrameReader()
    /// How often outstanding requests are checked for their deadline.
    private let sweepInterval: TimeAmount

    init(peerDescription: String, sweepInterval: TimeAmount = .milliseconds(10)) {
        self.peerDescription = peerDescription
        self.sweepInterval = sweepInterval
        self.outbound = ByteBufferAllocator().buffer(capacity: 0)
    }

    var outstandingRequests: Int { pending.count }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.outbound = context.channel.allocator.buffer(capacity: 4096)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(TesseraError(.unavailable, "connection to \(peerDescription) was closed"))
        self.context = nil
    }

    /// Sends `message` and returns the reply. Must be called on the event loop.
    func send(_ message: WireMessage, timeout: TimeAmount, completion: Completion) {
        guard !closed, let context else {
            completion.fail(TesseraError(.unavailable, "connection to \(peerDescription) is closed"))
            return
        }
        let id = nextRequestID
        nextRequestID &+= 1
        // The sweep runs every 10 ms, so a tick-granular deadline loses nothing (and saves a clock read per request).
        pending[id] = Pending(completion: completion, deadline: CoarseClock.now() + timeout)
        WireCodec.encode(requestID: id, message: message, into: &outbound)
        if outbound.readableBytes >= 256 * 1024 {
            flushNow()
        } else if !flushScheduled {
            flushScheduled = true
            context.eventLoop.assumeIsolated().execute { self.flushNow() }
        }
        if !sweepScheduled { scheduleSweep(context: context) }
    }

    private func flushNow() {
        flushScheduled = false
        guard let context, outbound.readableBytes > 0 else { return }
        context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
        // Usually the socket took the bytes during the flush and released the buffer: then `clear()` reuses its
        // storage (no allocation per flush). If a write is still pending, it copies on write.
        outbound.clear()
        if outbound.capacity > 1 << 20 { outbound = context.channel.allocator.buffer(capacity: 4096) }
    }

    private func scheduleSweep(context: ChannelHandlerContext) {
        sweepScheduled = true
        context.eventLoop.assumeIsolated().scheduleTask(in: sweepInterval) { self.sweep() }
    }

    private func sweep() {
        sweepScheduled = false
        guard !pending.isEmpty else { return }
        let now = CoarseClock.now()
        var expired: [UInt64] = []
        for (id, request) in pending where request.deadline <= now { expired.append(id) }
        for id in expired {
            if let request = pending.removeValue(forKey: id) {
                request.completion.fail(
                    TesseraError(
                        .timeout,
                        "no reply from \(peerDescription) before the deadline; the request may have been applied"
                    )
                )
            }
        }
        if !pending.isEmpty, let context { scheduleSweep(context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reader.append(unwrapInboundIn(data))
        do {
            while let frame = try reader.next() {
                if let request = pending.removeValue(forKey: frame.requestID) {
                    request.completion.succeed(frame.message)
                }
                // A reply to a request that already timed out is dropped.
            }
        } catch {
            failAll(TesseraError(.protocolError, "bad reply from \(peerDescription): \(error)"))
            closed = true
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        failAll(
            TesseraError(
                .timeout,
                "connection to \(peerDescription) closed before the reply; the request may have been applied"
            )
        )
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closed = true
        failAll(TesseraError(.timeout, "connection to \(peerDescription) failed (\(error)); the request may have been applied"))
        context.close(promise: nil)
    }

    private func failAll(_ error: TesseraError) {
        guard !pending.isEmpty else { return }
        let all = pending
        pending.removeAll()
        for (_, request) in all { request.completion.fail(error) }
    }
}
