import Logging
import NIOCore
import TesseraCore
import TesseraTLS
import TesseraWire

/// The connection to one peer, as two lanes (two TCP connections, each opened with the peer handshake):
///
/// - **control**: pings and small messages (replica writes of small values and their acks, hinted writes,
///   the LINEARIZABLE version phase's REPLICA_READ_VERSION, healing and hot-key requests). Its connectivity is the link's (`isConnected`, `onConnectivity`), so the
///   failure detector hears pongs that never wait behind a large payload;
/// - **bulk**: REPLICA_READ (whose answers carry whole values, up to 16 MiB) and writes of large values.
///
/// TCP delivers a connection's bytes in order, so on a single connection a pong queued behind speculative
/// reads of 1 MiB values arrives only after them; under a client that floods the node with large GETs that
/// took seconds and got both peers marked down (docs/wire-protocol.md, "Peer connections"). Confined to
/// `eventLoop`.
final class PeerLink {
    let member: MemberAddress
    let eventLoop: any EventLoop
    /// Pings and small messages.
    let control: PeerLane
    /// Replica reads and large values.
    let bulk: PeerLane

    /// Called on the event loop when the control lane is established (true) or fails or closes (false).
    var onConnectivity: ((Bool) -> Void)? {
        get { control.onConnectivity }
        set { control.onConnectivity = newValue }
    }
    /// Called on the event loop with the monotonic time (nanoseconds) of a reply the peer sent (pings and replica
    /// requests alike): the failure detector counts any reply as a sign of life. Replies within
    /// `heardResolutionNanos` of the last one reported are not reported again (the detector's resolution).
    var onHeard: ((UInt64) -> Void)?
    var heardResolutionNanos: UInt64 = 0
    private var lastReportedHeard: UInt64 = 0

    /// Replica writes with a value at least this large go on the bulk lane.
    static let bulkValueBytes = 16 * 1024

    init(
        member: MemberAddress, localHost: String? = nil, eventLoop: any EventLoop, log: Logger,
        credentials: PeerHandshake.Credentials, tls: TLSContext? = nil
    ) {
        self.member = member
        self.eventLoop = eventLoop
        var controlLog = log
        controlLog[metadataKey: "lane"] = "control"
        var bulkLog = log
        bulkLog[metadataKey: "lane"] = "bulk"
        self.control = PeerLane(member: member, localHost: localHost, eventLoop: eventLoop, log: controlLog, credentials: credentials, tls: tls)
        self.bulk = PeerLane(member: member, localHost: localHost, eventLoop: eventLoop, log: bulkLog, credentials: credentials, tls: tls)
    }

    /// The control lane is connected (the peer is reachable).
    var isConnected: Bool { control.isConnected }

    /// The peer answered a request.
    func noteHeard() {
        // Tick-granular: the detector's intervals are pings apart (a second by default), and this runs for every
        // replica reply (issue 7).
        let now = CoarseClock.nowNanos()
        guard lastReportedHeard == 0 || now &- lastReportedHeard >= heardResolutionNanos else { return }
        lastReportedHeard = now
        onHeard?(now)
    }

    /// True for messages whose request or reply may be large: they go on the bulk lane.
    static func isBulk(_ message: WireMessage) -> Bool {
        switch message {
        case .replicaRead: return true
        case .replicaWrite(_, let cell), .replicaHintedWrite(_, let cell, _): return (cell.value?.count ?? 0) >= bulkValueBytes
        default: return false
        }
    }

    /// Sends `message` to the peer on its lane; `callback` runs on the event loop with the reply or a
    /// `TesseraError`.
    func request(_ message: WireMessage, timeout: TimeAmount, callback: @escaping PeerLane.Callback) {
        (Self.isBulk(message) ? bulk : control).request(message, timeout: timeout, callback: callback)
    }

    /// Sends `message` to the peer and returns a future of the reply.
    func request(_ message: WireMessage, timeout: TimeAmount) -> EventLoopFuture<WireMessage> {
        let promise = eventLoop.makePromise(of: WireMessage.self)
        request(message, timeout: timeout) { result in promise.completeWith(result.mapError { $0 }) }
        return promise.futureResult
    }

    /// Starts connecting the control lane unless it is connected, connecting or in backoff (the bulk lane
    /// connects with its first request).
    func connectIfIdle() { control.connectIfIdle() }

    /// Tries to connect now, skipping any backoff: something suggests the peer may be back.
    func connectSoon() {
        control.connectSoon()
        if bulk.hasBeenUsed { bulk.connectSoon() }
    }

    /// Closes both lanes and stops reconnecting.
    func stop() -> EventLoopFuture<Void> {
        control.stop().and(bulk.stop()).map { _ in }
    }
}
