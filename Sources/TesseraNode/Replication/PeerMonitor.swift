import Logging
import NIOCore
import TesseraCluster
import TesseraCore

/// The node's view of its peers: one `PeerLink` per peer, the ping round, and the `FailureDetector` it feeds
/// (pings, every reply a peer sends, broken connections). It carries out what the detector decides and reports
/// transitions through `onChange` (hint replay subscribes there). Confined to the event loop.
final class PeerMonitor {
    let selfID: NodeID
    let eventLoop: any EventLoop
    let log: Logger
    let pingInterval: TimeAmount
    let pingTimeout: TimeAmount
    private(set) var links: [NodeID: PeerLink] = [:]
    private var detector: FailureDetector
    private var pinger: Scheduled<Void>?
    private var stopped = false
    private var lastReconnectHint = NIODeadline.uptimeNanoseconds(0)
    /// The detector's live set, recomputed at most every `aliveCacheTTL` or after a change.
    private var aliveCache: Set<NodeID> = []
    private var aliveCacheTime: ContinuousClock.Instant?
    static let aliveCacheTTL: Duration = .milliseconds(20)

    /// Peer up/down transitions, on the event loop, once per transition.
    var onChange: ((FailureDetector.Change) -> Void)?

    init(configuration: NodeConfiguration, eventLoop: any EventLoop, log: Logger) {
        self.selfID = configuration.nodeID
        self.eventLoop = eventLoop
        self.log = log
        self.pingInterval = .milliseconds(Int64(configuration.pingIntervalMillis))
        self.pingTimeout = .milliseconds(Int64(configuration.peerDownAfterMillis))
        self.detector = FailureDetector(
            local: configuration.nodeID,
            peers: configuration.members.map(\.id),
            downAfter: .milliseconds(configuration.peerDownAfterMillis),
            now: .now
        )
        for member in configuration.members where member.id != selfID {
            var peerLog = log
            peerLog[metadataKey: "peer"] = "\(member.id)"
            let link = PeerLink(member: member, eventLoop: eventLoop, log: peerLog)
            let id = member.id
            link.onConnectivity = { [unowned self] connected in
                if connected {
                    ping(id)
                } else {
                    note(detector.onConnectionFailed(to: id, now: .now))
                }
            }
            link.onHeard = { [unowned self] in note(detector.onHeard(from: id, now: .now)) }
            links[id] = link
        }
    }

    /// Starts the ping rounds (and the first connection attempts).
    func start() { pingAll() }

    /// Stops pinging and closes every link.
    func stop() -> [EventLoopFuture<Void>] {
        stopped = true
        pinger?.cancel()
        pinger = nil
        return links.values.map { $0.stop() }
    }

    /// A new inbound connection may come from a peer that just started: reconnect to peers we cannot reach
    /// now instead of waiting for the backoff (at most every 50 ms), so a cluster that starts together
    /// converges in milliseconds and a restarted node is seen up at once.
    func noteInboundConnection() {
        let now = NIODeadline.now()
        guard now >= lastReconnectHint + .milliseconds(50) else { return }
        lastReconnectHint = now
        for link in links.values where !link.isConnected { link.connectSoon() }
    }

    private func pingAll() {
        guard !stopped else { return }
        pinger = eventLoop.assumeIsolated().scheduleTask(in: pingInterval) { [unowned self] in pingAll() }
        for change in detector.tick(now: .now) { note(change) }
        for (id, link) in links {
            if link.isConnected { ping(id) } else { link.connectIfIdle() }
        }
    }

    private func ping(_ id: NodeID) {
        guard let link = links[id], link.isConnected else { return }
        link.request(.ping, timeout: pingTimeout) { [unowned self] result in
            switch result {
            case .success(.pong): note(detector.onPingAck(from: id, now: .now))
            case .success, .failure: note(detector.onPingTimeout(of: id, now: .now))
            }
        }
    }

    private func note(_ change: FailureDetector.Change?) {
        guard let change else { return }
        aliveCacheTime = nil
        switch change {
        case .up(let node): log.info("peer is up", metadata: ["peer": "\(node)"])
        case .down(let node): log.warning("peer is down", metadata: ["peer": "\(node)"])
        }
        onChange?(change)
    }

    /// Live nodes (this node included), cached briefly: computing the set costs an allocation and a walk over
    /// all peers.
    func alive() -> Set<NodeID> {
        let now = ContinuousClock.now
        if let time = aliveCacheTime, now - time < Self.aliveCacheTTL { return aliveCache }
        aliveCache = detector.alive(now: now)
        aliveCacheTime = now
        return aliveCache
    }

    /// Each peer's state as this node sees it, in member order.
    func peerStates(members: [MemberAddress]) -> (up: [String], down: [String]) {
        let now = ContinuousClock.now
        var up: [String] = []
        var down: [String] = []
        for member in members where member.id != selfID {
            if detector.isAlive(member.id, now: now) { up.append(member.id.name) } else { down.append(member.id.name) }
        }
        return (up, down)
    }
}
