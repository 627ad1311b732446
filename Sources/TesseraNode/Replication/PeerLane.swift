import Logging
import NIOCore
import TesseraCore
import TesseraTLS
import TesseraWire

/// One connection to a peer (one of `PeerLink`'s two lanes): connected lazily, reconnected with exponential
/// backoff, pipelined, opened with the peer handshake.
///
/// Requests made while a connection is being set up wait for it (bounded); requests made while the peer is in
/// backoff after a failed connect fail at once with `unavailable`. Confined to `eventLoop`.
final class PeerLane {
    let member: MemberAddress
    /// This node's listen host: outbound peer connections leave from it (so rules by address pair match).
    let localHost: String?
    let eventLoop: any EventLoop
    let log: Logger
    /// Called on the event loop when a connection is established (true) or fails or closes (false).
    var onConnectivity: ((Bool) -> Void)?

    private(set) var connection: WireConnection?
    private var connecting = false
    typealias Callback = (Result<WireMessage, TesseraError>) -> Void
    private var waiting: [(message: WireMessage, timeout: TimeAmount, callback: Callback)] = []
    private var backoff: TimeAmount = .milliseconds(50)
    private var nextAttempt = NIODeadline.uptimeNanoseconds(0)
    private var stopped = false
    /// A connection was attempted at least once (a lane that was never needed is not reconnected eagerly).
    private(set) var hasBeenUsed = false

    static let minBackoff: TimeAmount = .milliseconds(50)
    static let maxBackoff: TimeAmount = .milliseconds(500)
    static let maxWaiting = 65_536

    /// What this node proves in the peer handshake that opens every connection.
    let credentials: PeerHandshake.Credentials
    private var lastFailure = ""
    /// The last attempt reached the peer and was refused (handshake or TLS): a configuration problem, so a new
    /// inbound connection from it is no sign that it came back, and `connectSoon` keeps the backoff.
    private var refused = false

    /// TLS towards the peer (docs/security.md); nil: plain TCP.
    let tls: TLSContext?

    init(
        member: MemberAddress, localHost: String? = nil, eventLoop: any EventLoop, log: Logger,
        credentials: PeerHandshake.Credentials, tls: TLSContext? = nil
    ) {
        self.tls = tls
        self.credentials = credentials
        self.member = member
        self.localHost = localHost
        self.eventLoop = eventLoop
        self.log = log
    }

    var isConnected: Bool { connection?.isActive ?? false }

    /// Sends `message` to the peer; `callback` runs on the event loop with the reply or a `TesseraError`.
    func request(_ message: WireMessage, timeout: TimeAmount, callback: @escaping Callback) {
        if let connection, connection.isActive {
            connection.request(message, timeout: timeout, callback: callback)
            return
        }
        if stopped {
            callback(
                .failure(TesseraError(.unavailable, "node \(member.id) is not reachable: this node is shutting down"))
            )
            return
        }
        if !connecting {
            guard NIODeadline.now() >= nextAttempt else {
                callback(
                    .failure(
                        TesseraError(
                            .unavailable,
                            "node \(member.id) (\(member.host):\(member.port)) is unreachable; reconnecting"
                        )
                    )
                )
                return
            }
            connect()
        }
        guard waiting.count < Self.maxWaiting else {
            callback(
                .failure(TesseraError(.overloaded, "too many requests waiting for the connection to node \(member.id)"))
            )
            return
        }
        waiting.append((message, timeout, callback))
    }

    /// Starts a connection attempt unless one is running, the link is connected, or it is in backoff.
    func connectIfIdle() {
        guard !stopped, !connecting, !isConnected, NIODeadline.now() >= nextAttempt else { return }
        connect()
    }

    /// Tries to connect now, skipping any backoff: something suggests the peer may be back (for example a new
    /// inbound connection to this node).
    func connectSoon() {
        // Without the `refused` check, two nodes with different cluster secrets redialled each other about 20
        // times a second, each refused attempt's inbound connection triggering the other's next one.
        guard !stopped, !connecting, !isConnected, !refused else { return }
        nextAttempt = .now()
        backoff = Self.minBackoff
        connect()
    }

    private func connect() {
        connecting = true
        hasBeenUsed = true
        WireConnection.connect(
            host: member.host,
            port: member.port,
            group: eventLoop,
            connectTimeout: .seconds(1),
            localHost: localHost,
            tlsHandler: tls?.clientHandler(host: member.host)
        )
            .flatMap { [credentials, member] connection in  // REPLICA_* is refused until the handshake succeeded
                connection.authenticateAsPeer(credentials: credentials, expectedNodeID: member.id.name, timeout: .seconds(2))
                    .map { connection }
                    .flatMapErrorThrowing { error in
                        // Logged on this lane's event loop below (this closure may not touch the lane).
                        connection.close()
                        throw HandshakeFailure(underlying: error)
                    }
            }
            .hop(to: eventLoop)
            .assumeIsolated()
            .whenComplete { [self] result in
                connecting = false
                switch result {
                case .success(let connection):
                    if stopped {
                        connection.close()
                        failWaiting(TesseraError(.unavailable, "this node is shutting down"))
                        return
                    }
                    self.connection = connection
                    refused = false
                    backoff = Self.minBackoff
                    log.debug("connected to peer", metadata: ["peer": "\(member.id)"])
                    let queued = waiting
                    waiting = []
                    for item in queued {
                        connection.request(item.message, timeout: item.timeout, callback: item.callback)
                    }
                    connection.closeFuture.assumeIsolated().whenComplete { [self] _ in
                        if self.connection === connection { self.connection = nil }
                        nextAttempt = .now() + Self.minBackoff
                        log.debug("connection to peer closed", metadata: ["peer": "\(member.id)"])
                        onConnectivity?(false)
                    }
                    onConnectivity?(true)
                case .failure(let failure):
                    let error = (failure as? HandshakeFailure)?.underlying ?? failure
                    refused = failure is HandshakeFailure || (error as? TesseraError)?.code == .unauthenticated
                    if refused, "\(error)" != lastFailure {  // each distinct refusal once, not on every retry
                        lastFailure = "\(error)"
                        let tls = failure is HandshakeFailure ? nil : error as? TesseraError
                        log.error(
                            tls == nil ? "peer handshake failed" : "TLS connection to peer failed",
                            metadata: ["peer": "\(member.id)", "error": "\(tls?.message ?? "\(error)")"])
                    }
                    nextAttempt = .now() + backoff
                    // Retry by itself after the backoff, so a peer that comes up is found before the next ping.
                    eventLoop.assumeIsolated().scheduleTask(in: backoff) { [weak self] in self?.connectIfIdle() }
                    backoff = min(backoff * 2, Self.maxBackoff)
                    failWaiting(
                        TesseraError(
                            .unavailable,
                            "cannot connect to node \(member.id) (\(member.host):\(member.port)): \(error)"
                        )
                    )
                    onConnectivity?(false)
                }
            }
    }

    private func failWaiting(_ error: TesseraError) {
        let queued = waiting
        waiting = []
        for item in queued { item.callback(.failure(error)) }
    }

    /// Closes the connection and stops reconnecting.
    func stop() -> EventLoopFuture<Void> {
        stopped = true
        failWaiting(TesseraError(.unavailable, "this node is shutting down"))
        guard let connection else { return eventLoop.makeSucceededVoidFuture() }
        return connection.close()
    }
}

/// A connection that opened but whose peer handshake failed (logged as such, once per distinct error).
private struct HandshakeFailure: Error {
    let underlying: any Error
}
