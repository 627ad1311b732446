import NIOCore
import NIOHTTP1
import NIOPosix
import TesseraCore

/// The node's admin HTTP server (HTTP/1.1 on SwiftNIO's NIOHTTP1, no framework): `GET /metrics`,
/// `GET /health/live`, `GET /health/ready`. docs/operations.md, "Admin HTTP endpoints".
final class AdminServer: Sendable {
    /// What the handlers read: the node's snapshot (on its event loop) and its metrics (nil: metrics off).
    struct Source: Sendable {
        let snapshot: @Sendable () -> EventLoopFuture<NodeSnapshot>
        let metrics: NodeMetrics?
    }

    let channel: any Channel
    /// The bound port (the kernel's choice when asked for 0).
    let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Binds `host:port` on `loop`; throws `TesseraError(.unavailable)` if the address cannot be bound.
    static func start(host: String, port: Int, loop: any EventLoop, source: Source) async throws -> AdminServer {
        do {
            let channel = try await ServerBootstrap(group: loop)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.configureHTTPServerPipeline(withErrorHandling: true)
                        try sync.addHandler(AdminHTTPHandler(source: source))
                    }
                }
                .bind(host: host, port: port)
                .get()
            return AdminServer(channel: channel)
        } catch {
            throw TesseraError(.unavailable, "cannot listen for admin HTTP on \(host):\(port): \(error)")
        }
    }

    func close() async {
        try? await channel.close()
    }
}

/// One admin connection: answers each request when its end arrives; keep-alive as the client asks.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let source: AdminServer.Source
    private var head: HTTPRequestHead?

    init(source: AdminServer.Source) { self.source = source }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            route(head, context: context)
        }
    }

    private func route(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .GET || head.method == .HEAD else {
            respond(context, head, .methodNotAllowed, "only GET and HEAD\n", extra: [("Allow", "GET, HEAD")])
            return
        }
        switch path {
        case "/health/live":
            respond(context, head, .ok, "live\n")
        case "/health/ready":
            withSnapshot(context) { handler, snapshot in
                let (ready, reasons) = NodeHealth.readiness(snapshot)
                if ready {
                    handler.respond(context, head, .ok, "ready\n")
                } else {
                    handler.respond(context, head, .serviceUnavailable, "not ready: \(reasons.joined(separator: "; "))\n")
                }
            }
        case "/metrics":
            guard let metrics = source.metrics else {
                respond(context, head, .notFound, "metrics are off (--no-metrics)\n")
                return
            }
            withSnapshot(context) { handler, snapshot in
                let body = metrics.exposition(of: snapshot)
                handler.respond(
                    context, head, .ok, body, contentType: "text/plain; version=0.0.4; charset=utf-8")
            }
        default:
            respond(context, head, .notFound, "unknown path \(path): use /metrics, /health/live or /health/ready\n")
        }
    }

    /// Reads the node's snapshot and continues on this channel's loop; a node that cannot answer (stopping)
    /// gets a default snapshot, which says "not ready".
    private func withSnapshot(
        _ context: ChannelHandlerContext,
        _ body: @escaping (AdminHTTPHandler, NodeSnapshot) -> Void
    ) {
        var stopped = NodeSnapshot()
        stopped.stopped = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        source.snapshot()
            .hop(to: context.eventLoop)
            .assumeIsolated()
            .whenComplete { result in
                body(handler.value, (try? result.get()) ?? stopped)
            }
    }

    private func respond(
        _ context: ChannelHandlerContext,
        _ request: HTTPRequestHead,
        _ status: HTTPResponseStatus,
        _ text: String,
        extra: [(String, String)] = []
    ) {
        respond(context, request, status, Array(text.utf8), contentType: "text/plain; charset=utf-8", extra: extra)
    }

    private func respond(
        _ context: ChannelHandlerContext,
        _ request: HTTPRequestHead,
        _ status: HTTPResponseStatus,
        _ body: [UInt8],
        contentType: String,
        extra: [(String, String)] = []
    ) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.count)")] + extra)
        let keepAlive = request.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
