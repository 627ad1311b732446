import Logging
import NIOCore
import TesseraCluster
import TesseraCore
import TesseraWire

/// The node's view of its peers: one `PeerLink` per peer and the `PhiAccrualDetector` that decides who is up.
/// It feeds the detector (ping answers, every reply a peer sends on any request, broken connections), ticks it
/// every `tickInterval`, and carries out its effects: pings, and up/down transitions, which it logs and reports
/// through `onChange` (hint replay subscribes there). It decides nothing itself. Confined to the event loop.
final class PeerMonitor {
    let selfID: NodeID
    let eventLoop: any EventLoop
    let log: Logger
    let pingTimeout: TimeAmount
    let tickInterval: TimeAmount
    private(set) var links: [NodeID: PeerLink] = [:]
    private var detector: PhiAccrualDetector
    private var ticker: Scheduled<Void>?
    private var stopped = false
    private var lastReconnectHint = NIODeadline.uptimeNanoseconds(0)
    /// The detector's live set; changes only with an `.up`/`.down` effect.
    private var aliveSet: Set<NodeID>

    /// Peer up/down transitions, on the event loop, once per transition.
    var onChange: ((FailureDetectorEffect) -> Void)?

    init(configuration: NodeConfiguration, credentials: PeerHandshake.Credentials, eventLoop: any EventLoop, log: Logger) {
        self.selfID = configuration.nodeID
        self.eventLoop = eventLoop
        self.log = log
        let pingInterval = UInt64(max(1, configuration.pingIntervalMillis)) * 1_000_000
        self.pingTimeout = .milliseconds(Int64(configuration.peerDownAfterMillis))
        self.tickInterval = .nanoseconds(Int64(min(pingInterval, 100_000_000)))
        self.detector = PhiAccrualDetector(
            local: configuration.nodeID,
            peers: configuration.members.map(\.id),
            settings: PhiAccrualDetector.Settings(
                threshold: configuration.phiThreshold,
                pingIntervalNanos: pingInterval
            ),
            now: Self.now()
        )
        self.aliveSet = detector.alive
        for member in configuration.members where member.id != selfID {
            var peerLog = log
            peerLog[metadataKey: "peer"] = "\(member.id)"
            let link = PeerLink(
                member: member,
                localHost: configuration.listenHost,
                eventLoop: eventLoop,
                log: peerLog,
                credentials: credentials,
                tls: configuration.tls?.peerContext
            )
            let id = member.id
            link.onConnectivity = { [unowned self] connected in
                if connected {
                    ping(id)
                } else {
                    perform(detector.onConnectionFailed(to: id, now: Self.now()))
                }
            }
            link.heardResolutionNanos = detector.settings.heardResolutionNanos
            link.onHeard = { [unowned self] now in perform(detector.onHeard(from: id, now: now)) }
            links[id] = link
        }
    }

    private static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Starts ticking the detector (and the first connection attempts).
    func start() { tick() }

    /// Stops ticking and closes every link.
    func stop() -> [EventLoopFuture<Void>] {
        stopped = true
        ticker?.cancel()
        ticker = nil
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

    private func tick() {
        guard !stopped else { return }
        ticker = eventLoop.assumeIsolated().scheduleTask(in: tickInterval) { [unowned self] in tick() }
        perform(detector.onTick(now: Self.now()))
    }

    /// Carries out the detector's effects.
    private func perform(_ effects: [FailureDetectorEffect]) {
        for effect in effects {
            switch effect {
            case .ping(let node):
                guard let link = links[node] else { continue }
                if link.isConnected { ping(node) } else { link.connectIfIdle() }
            case .down(let node):
                aliveSet.remove(node)
                log.warning(
                    "peer is down",
                    metadata: ["peer": "\(node)", "phi": "\(detector.phi(of: node, now: Self.now()))"]
                )
                onChange?(effect)
            case .up(let node):
                aliveSet.insert(node)
                log.info("peer is up", metadata: ["peer": "\(node)"])
                onChange?(effect)
            case .localPause(let nanos):
                log.notice(
                    "this node did not run for a while (stopped, swapped out or starved of CPU); the failure detector does not count that time as peer silence",
                    metadata: ["pauseMillis": "\(nanos / 1_000_000)"]
                )
            }
        }
    }

    /// A ping's answer is heard like any reply (`onHeard`); a lost ping only lets phi grow.
    private func ping(_ id: NodeID) {
        guard let link = links[id], link.isConnected else { return }
        link.request(.ping, timeout: pingTimeout) { result in
            if case .success = result { link.noteHeard() }
        }
    }

    /// Live nodes (this node included): the `alive` set for the coordinators.
    func alive() -> Set<NodeID> { aliveSet }

    /// Each peer as this node sees it (up/down, phi, time since last heard), sorted by name.
    func peerViews() -> [PhiAccrualDetector.PeerView] { detector.views(now: Self.now()) }
}
