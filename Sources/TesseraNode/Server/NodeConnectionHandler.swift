import Logging
import NIOCore
import TesseraCluster
import TesseraCore
import TesseraTLS
import TesseraWire

/// One accepted connection (client or peer): frames in, requests to `NodeCore`, replies out.
///
/// Roles: every connection starts as a client connection. One that completes the peer handshake
/// (PEER_HELLO / PEER_AUTH, `PeerHandshake`) becomes a peer connection: only those may send REPLICA_*
/// (others get ERROR invalidRequest, logged once per connection), and only those are exempt from the node's
/// client budget, so replica traffic goes on while clients misbehave.
///
/// Bounds (`ConnectionLimits`, docs/wire-protocol.md "Connections"): at most `maxRequestsInFlight` requests
/// and `connectionBufferBytes` bytes (requests being served plus replies not yet taken by the socket) per
/// connection, and `nodeBufferBytes` over all client connections (`NodeConnectionBudget`). Above a bound the
/// handler decodes no further frames and stops reading the socket; it resumes when replies drain. Timeouts:
/// idle (nothing in flight, nothing received), partial frame (a frame not complete this long after its first
/// byte), write stall (pending replies and none taken by the client; for a peer, whose writes are not tracked
/// one by one, the channel over its write high-water mark that long).
///
/// Replies produced while reading are flushed once in `channelReadComplete`; replies that complete later are
/// gathered and flushed once per event-loop tick. A frame that cannot be decoded gets one ERROR
/// (`protocolError`) and the connection is closed. Confined to the channel's event loop.
final class NodeConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: NodeCore
    private let budget: NodeConnectionBudget
    private let limits: ConnectionLimits
    private var reader = WireFrameReader()
    private var context: ChannelHandlerContext?
    private var outbound = ByteBuffer()
    private var reading = false
    private var flushScheduled = false
    /// Inside `flushNow`; `resumeAfterFlush`: a resume was asked for meanwhile.
    private var flushing = false
    private var resumeAfterFlush = false
    private var broken = false
    /// The socket read was held back: a bound is reached or the channel is not writable.
    private var readHeld = false
    /// Requests admitted by `core.admission` and not answered yet (both kinds). Who answers an admitted request
    /// says so (`answer(_:_:admitted:)`), so no table by request id is kept (issue 7); this count checks it.
    private var admittedNow = 0
    /// This connection's own admission state (its in-flight count and rate bucket).
    private var admission = AdmissionControl.Connection()

    // Role.
    private var acceptor: PeerHandshake.Acceptor
    private var handshakeStarted = false
    /// The member id once the peer handshake succeeded.
    private(set) var peerID: String?
    private var refusedPeerOpcodeLogged = false
    /// Client token (docs/security.md): whether client requests may be served yet.
    private var clientAuth: ClientAuthentication

    // Accounting.
    /// Requests handed to the core and not answered yet.
    private var inFlight = 0
    /// Frame bytes of large requests (>= `trackedRequestBytes`) in flight, by request id.
    private var largeRequests: [UInt64: Int] = [:]
    private var requestBytes = 0
    /// Bytes handed to the channel and not yet written to the socket.
    private var pendingWriteBytes = 0
    /// What this connection has charged to the node budget (client connections only).
    private var charged = 0
    private var waitingForBudget = false

    // Timers (uptime nanoseconds).
    private var lastReceived = NIODeadline.now()
    private var lastWriteProgress = NIODeadline.now()
    private var frameStartedAt: NIODeadline?
    private var timer: Scheduled<Void>?

    /// Requests smaller than this are not tracked individually (their bytes are negligible).
    static let trackedRequestBytes = 4096

    init(core: NodeCore, budget: NodeConnectionBudget) {
        self.core = core
        self.budget = budget
        self.limits = core.configuration.connectionLimits
        self.acceptor = PeerHandshake.Acceptor(credentials: core.peerCredentials)
        self.clientAuth = ClientAuthentication(token: core.configuration.clientToken)
    }

    var isPeer: Bool { peerID != nil }

    private var connectionBytes: Int { requestBytes + outbound.readableBytes + pendingWriteBytes }

    /// True while a new frame may be decoded and served.
    private var canDecode: Bool {
        if broken { return false }
        // Authenticated peers are not held back: their requests come from coordinators that bound their own
        // work, and a ping stuck behind a client's replica traffic would mark the peer down.
        if isPeer { return true }
        if inFlight >= limits.maxRequestsInFlight || connectionBytes >= limits.connectionBufferBytes { return false }
        // A full node budget stops the connections that hold memory, not one that holds almost none: clients
        // that read their replies (a QUORUM writer) go on while a few that never read hold the budget.
        return !budget.isExhausted || connectionBytes < Self.smallConnectionBytes
    }

    /// A client connection holding fewer bytes than this is not held back by a full node budget.
    static let smallConnectionBytes = 1 << 20

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.outbound = context.channel.allocator.buffer(capacity: 4096)
        core.register(self)
        scheduleTimer(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        budget.forget(self)
        budget.charge(-charged)
        charged = 0
        self.context = nil
        core.unregister(self)
    }

    // MARK: reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !broken else { return }
        lastReceived = CoarseClock.now()
        reader.append(unwrapInboundIn(data))
        processFrames(context: context)
    }

    /// Serves buffered frames while the bounds allow; notes when a partial frame started.
    private func processFrames(context: ChannelHandlerContext) {
        guard !reading else { return }
        reading = true
        defer { reading = false }
        var completed = false
        do {
            while canDecode, let frame = try reader.next() {
                completed = true
                serve(frame)
            }
        } catch {
            protocolError(error, context: context)
            return
        }
        if reader.bufferedBytes == 0 {
            frameStartedAt = nil
        } else if completed || frameStartedAt == nil {
            frameStartedAt = .now()
        }
        if !canDecode && budget.isExhausted && !isPeer && !waitingForBudget {
            waitingForBudget = true
            budget.wait(self)
        }
    }

    private func serve(_ frame: WireFrame) {
        inFlight += 1
        let size = WireCodec.encodedSizeHint(frame.message)
        if size >= Self.trackedRequestBytes {
            largeRequests[frame.requestID, default: 0] += size
            chargeRequest(size)
        }
        switch frame.message {
        case .peerHello(let clusterName, let nodeID, let nonce):
            handshakeStarted = true
            if core.configuration.tls?.peerMutualTLS == true, !(context.map { TLSPeer.presentedVerifiedCertificate($0.channel) } ?? false) {
                refuseHandshake(
                    frame.requestID,
                    TesseraError(
                        .unauthenticated,
                        "this node accepts peers only with a certificate signed by the cluster CA (--peer-mtls); "
                            + "this connection presented none"
                    )
                )
                return
            }
            switch acceptor.onHello(clusterName: clusterName, nodeID: nodeID, nonce: nonce) {
            case .success(let challenge): reply(frame.requestID, challenge)
            case .failure(let error): refuseHandshake(frame.requestID, error)
            }
        case .peerAuth(let proof):
            switch acceptor.onAuth(proof: proof) {
            case .success(let member):
                peerID = member
                // Peers are not charged to the client budget.
                budget.forget(self)
                waitingForBudget = false
                budget.charge(-charged)
                charged = 0
                core.log.debug("peer connection authenticated", metadata: ["peer": "\(member)", "remote": "\(remote)"])
                reply(frame.requestID, .peerWelcome)
            case .failure(let error):
                refuseHandshake(frame.requestID, error)
            }
        case .clientAuth(let token):
            switch clientAuth.onClientAuth(token) {
            case .success: reply(frame.requestID, .clientWelcome)
            case .failure(let error): refuseClient(frame.requestID, error)
            }
        default:
            if !isPeer, let refusal = clientAuth.refusal(for: frame.message.opcode) {
                refuseClient(frame.requestID, refusal)
            } else if frame.message.opcode.isPeerOnlyRequest && !isPeer {
                refusePeerOnly(frame)
            } else if let refusal = admit(frame) {
                reply(frame.requestID, .error(refusal))
            } else {
                core.handle(frame, from: self)
            }
        }
    }

    /// Admission control for data requests (`core.admission`): the error to answer with when refused.
    private func admit(_ frame: WireFrame) -> TesseraError? {
        guard let kind = Self.admissionKind(frame.message) else { return nil }
        let now = core.admission.usesTime ? Self.nowMillis() : 0
        if let refusal = core.admission.admit(kind, connection: &admission, nowMillis: now) {
            return core.admission.error(for: refusal, node: core.selfID)
        }
        admittedNow += 1
        return nil
    }

    private var remote: String { context?.remoteAddress.map { "\($0)" } ?? "?" }

    private func refusePeerOnly(_ frame: WireFrame) {
        if !refusedPeerOpcodeLogged {
            refusedPeerOpcodeLogged = true
            core.log.warning(
                "refused a replica request on a connection that is not an authenticated peer (logged once per connection)",
                metadata: ["remote": "\(remote)", "opcode": "\(frame.message.opcode)"]
            )
        }
        reply(
            frame.requestID,
            .error(
                TesseraError(
                    .invalidRequest,
                    "\(frame.message.opcode) is accepted only on a peer connection that completed the peer handshake "
                        + "(PEER_HELLO, PEER_AUTH); this connection did not"
                )
            )
        )
    }

    /// A client that did not authenticate (or sent a wrong token): one ERROR, logged, then the close.
    private func refuseClient(_ requestID: UInt64, _ error: TesseraError) {
        core.log.warning("refused a client connection", metadata: ["remote": "\(remote)", "error": "\(error.message)"])
        reply(requestID, .error(error))
        closeAfterFlush()
    }

    private func refuseHandshake(_ requestID: UInt64, _ error: TesseraError) {
        core.log.warning("refused a peer handshake", metadata: ["remote": "\(remote)", "error": "\(error.message)"])
        reply(requestID, .error(error))
        closeAfterFlush()
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

    /// Backpressure: while a bound is reached or replies pile up unsent (the channel is over its write
    /// high-water mark), stop reading new requests from this connection; resume when it drains.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable && canDecode {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        lastWriteProgress = .now()
        resume()
        context.fireChannelWritabilityChanged()
    }

    /// Called by the budget when it has room again.
    func resumeAfterBudget() {
        waitingForBudget = false
        resume()
    }

    /// Something was freed: serve buffered frames, then read the socket again if it was held.
    private func resume() {
        guard let context, !broken, !reading else { return }
        guard !flushing else {
            // Inside `flushNow` (a write that completed during its flush): replies of frames served now would
            // go into `outbound` while it is being handed to the channel; serve them once the flush is done.
            resumeAfterFlush = true
            return
        }
        if canDecode && reader.bufferedBytes > 0 {
            processFrames(context: context)
            // Replies made while serving (refusals, PONG) wait for no channelReadComplete here.
            if outbound.readableBytes > 0 { scheduleFlush(context) }
        }
        if readHeld && canDecode && context.channel.isWritable {
            readHeld = false
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // I/O errors (connection reset and the like): nothing to answer, just close.
        context.close(promise: nil)
    }

    // MARK: replies

    /// Answers request `requestID`, one that admission control took on as `kind` (a GET, PUT, DELETE or
    /// IDEMPOTENT_WRITE as `.client`, a REPLICA_WRITE, REPLICA_READ or REPLICA_READ_VERSION as `.replica`),
    /// and releases its admission. Dropped if the connection has closed.
    func answer(_ requestID: UInt64, _ message: WireMessage, admitted kind: AdmissionControl.Kind) {
        core.admission.completed(kind, connection: &admission)
        admittedNow -= 1
        assert(admittedNow >= 0, "answer(_:_:admitted:) for a request that admission control did not take on")
        reply(requestID, message)
    }

    /// Answers request `requestID`, one that admission control did not take on (`admissionKind` is nil for
    /// it, or it refused it). Dropped if the connection has closed.
    func reply(_ requestID: UInt64, _ message: WireMessage) {
        inFlight -= 1
        assert(inFlight > 0 || admittedNow == 0, "an admitted request was answered with reply() instead of answer()")
        if !largeRequests.isEmpty, let size = largeRequests.removeValue(forKey: requestID) { chargeRequest(-size) }
        guard let context, !broken, context.channel.isActive else { return }
        let before = outbound.readableBytes
        WireCodec.encode(requestID: requestID, message: message, into: &outbound)
        chargeBudget(outbound.readableBytes - before)
        if !reading && outbound.readableBytes >= 256 * 1024 {
            flushNow()
        } else if !reading {
            scheduleFlush(context)
        }
        if !reading { resume() }
        // While reading, channelReadComplete flushes.
    }

    /// Flushes once at the end of this event-loop tick, whatever else is answered before it.
    private func scheduleFlush(_ context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            flushNow()
        }
    }

    /// Data requests pass admission control; PING, RING, STATUS and replies never wait and are never refused.
    private static func admissionKind(_ message: WireMessage) -> AdmissionControl.Kind? {
        switch message {
        case .get, .put, .delete, .idempotentWrite: return .client
        case .replicaWrite, .replicaRead, .replicaReadVersion: return .replica
        default: return nil
        }
    }

    private static func nowMillis() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1_000_000 }

    private func flushNow() {
        guard let context, outbound.readableBytes > 0, !flushing else { return }
        let handed = outbound.readableBytes
        flushing = true
        defer {
            flushing = false
            // Anything answered meanwhile stays in `outbound` (below) and goes with the next flush.
            if outbound.readableBytes > 0 { scheduleFlush(context) }
            if resumeAfterFlush {
                resumeAfterFlush = false
                resume()
            }
        }
        if isPeer {
            // A peer's replies are not charged to the budget and never hold its requests back, so nothing waits
            // for their write to complete (no promise and callback per flush: issue 7). A peer that takes none of
            // them leaves the channel unwritable; `checkTimeouts` closes it after the write-stall timeout.
            context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
        } else {
            let bytes = outbound.readableBytes
            let wasIdle = pendingWriteBytes == 0
            pendingWriteBytes += bytes
            if wasIdle {
                // Nothing of this connection waits in the channel: usually the socket takes the whole write
                // during the flush, and then nothing needs to wait for it (no promise and callback per flush:
                // issue 7). Otherwise an empty write after it completes once it has gone out (writes complete
                // in order).
                context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
                let left = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? bytes
                if left == 0 {
                    written(bytes)
                } else {
                    lastWriteProgress = .now()
                    write(context.channel.allocator.buffer(capacity: 0), releasingWhenWritten: bytes, context)
                }
            } else {
                write(outbound, releasingWhenWritten: bytes, context)
            }
        }
        // Usually the socket took the bytes during the flush and released the buffer: then `clear()` reuses its
        // storage (no allocation per flush). A large buffer still held by a pending write is replaced instead
        // (clear() would allocate another of the same size).
        if outbound.readableBytes > handed {
            outbound.moveReaderIndex(forwardBy: handed)  // answered during the flush: kept for the next one
        } else if outbound.capacity > 1 << 20 {
            outbound = context.channel.allocator.buffer(capacity: 4096)
        } else {
            outbound.clear()
        }
    }

    /// Writes and flushes `buffer`; once it has gone out, `bytes` (its own or those written before it) are released.
    private func write(_ buffer: ByteBuffer, releasingWhenWritten bytes: Int, _ context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenComplete { [self] _ in written(bytes) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
    }

    /// `bytes` of replies handed to the channel went out (or failed with the connection): released.
    private func written(_ bytes: Int) {
        pendingWriteBytes -= bytes
        chargeBudget(-bytes)
        lastWriteProgress = .now()
        resume()
    }

    /// Bytes in `outbound` and pending writes count as reply bytes; they are charged to the node budget here.
    private func chargeBudget(_ delta: Int) {
        guard !isPeer else { return }
        charged += delta
        budget.charge(delta)
    }

    private func chargeRequest(_ delta: Int) {
        requestBytes += delta
        chargeBudget(delta)
    }

    private func protocolError(_ error: WireError, context: ChannelHandlerContext) {
        core.countProtocolError()
        core.log.debug(
            "closing connection after a protocol error",
            metadata: ["remote": "\(remote)", "error": "\(error)"]
        )
        closeWithError(requestID: error.requestID ?? 0, error.tesseraError, context: context)
    }

    /// Sends one ERROR, then closes; nothing further is read or answered.
    private func closeWithError(requestID: UInt64, _ error: TesseraError, context: ChannelHandlerContext) {
        WireCodec.encode(requestID: requestID, message: .error(error), into: &outbound)
        closeAfterFlush()
    }

    private func closeAfterFlush() {
        guard let context, !broken else { return }
        broken = true
        let bytes = outbound
        outbound = context.channel.allocator.buffer(capacity: 0)
        context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    // MARK: timeouts

    private func scheduleTimer(context: ChannelHandlerContext) {
        let timeouts = [limits.idleTimeoutMillis, limits.partialFrameTimeoutMillis, limits.writeStallTimeoutMillis]
            .filter { $0 > 0 }
        guard let shortest = timeouts.min() else { return }
        let interval = TimeAmount.milliseconds(Int64(min(1000, max(20, shortest / 5))))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            guard let context = self.context else { return }
            checkTimeouts(context: context)
            if !broken { scheduleTimer(context: context) }
        }
    }

    private func checkTimeouts(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        func over(_ since: NIODeadline, _ millis: Int) -> Bool {
            millis > 0 && now - since >= .milliseconds(Int64(millis))
        }
        // A partial frame counts only while the node is willing to read it (not while it holds reads back).
        if let started = frameStartedAt, canDecode, over(started, limits.partialFrameTimeoutMillis) {
            core.countProtocolError()
            core.log.notice(
                "closing a connection whose frame stayed incomplete",
                metadata: [
                    "remote": "\(remote)", "bufferedBytes": "\(reader.bufferedBytes)",
                    "timeoutMillis": "\(limits.partialFrameTimeoutMillis)",
                ]
            )
            closeWithError(
                requestID: 0,
                TesseraError(
                    .protocolError,
                    "frame incomplete \(limits.partialFrameTimeoutMillis) ms after its first byte "
                        + "(\(reader.bufferedBytes) bytes received); closing the connection"
                ),
                context: context
            )
            return
        }
        let stalled = isPeer ? !context.channel.isWritable : pendingWriteBytes > 0
        if stalled, over(lastWriteProgress, limits.writeStallTimeoutMillis) {
            core.log.notice(
                "closing a connection that took none of its replies",
                metadata: [
                    "remote": "\(remote)", "peer": "\(peerID ?? "-")", "pendingBytes": "\(pendingWriteBytes)",
                    "timeoutMillis": "\(limits.writeStallTimeoutMillis)",
                ]
            )
            broken = true
            context.close(promise: nil)
            return
        }
        if inFlight == 0, pendingWriteBytes == 0, reader.bufferedBytes == 0, !isPeer,
            over(lastReceived, limits.idleTimeoutMillis)
        {
            core.log.debug("closing an idle connection", metadata: ["remote": "\(remote)"])
            broken = true
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
