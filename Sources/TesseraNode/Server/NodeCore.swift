import Logging
import NIOCore
import NIOPosix
import TesseraCluster
import TesseraCore
import TesseraRing
import TesseraStorage
import TesseraWire

/// The node's request dispatch on its event loop: routes each frame to its role, and owns their lifecycle.
///
/// - client GET/PUT/DELETE: `CoordinatorShell` (which drives TesseraCluster's `NodeCoordinator`);
/// - REPLICA_WRITE / REPLICA_READ: `ReplicaService`;
/// - peers, pings and the failure detector: `PeerMonitor`;
/// - RING, STATUS, PING: answered here.
///
/// Confined to `eventLoop` (the node runs on one event loop; every connection, peer link and callback is on
/// it), so its state needs no locks and a request costs no thread hop except the storage call.
final class NodeCore {
    let configuration: NodeConfiguration
    let selfID: NodeID
    let ring: Ring
    let eventLoop: any EventLoop
    let log: Logger
    let wireRing: WireRing
    let startedAt = NIODeadline.now()
    let stats = NodeStats()
    let replica: ReplicaService
    let peers: PeerMonitor
    let coordinator: CoordinatorShell

    private var stopped = false
    private var connections: [ObjectIdentifier: NodeConnectionHandler] = [:]

    init(
        configuration: NodeConfiguration,
        engine: StorageEngine,
        pool: NIOThreadPool,
        eventLoop: any EventLoop,
        log: Logger,
        hintSink: (any HintSink)? = nil
    ) {
        self.configuration = configuration
        self.selfID = configuration.nodeID
        self.eventLoop = eventLoop
        self.log = log
        let ring = Ring(members: configuration.members.map(\.id), virtualNodes: configuration.virtualNodes)
        self.ring = ring
        self.wireRing = WireRing(
            clusterName: configuration.clusterName,
            replicationFactor: configuration.replicationFactor,
            virtualNodes: configuration.virtualNodes,
            members: configuration.members.map {
                WireMember(nodeID: $0.id.name, host: $0.host, port: $0.port, tokens: ring.tokens(of: $0.id))
            }
        )
        self.replica = ReplicaService(
            local: LocalReplica(engine: engine, pool: pool, eventLoop: eventLoop),
            stats: stats,
            hintSink: hintSink,
            selfID: configuration.nodeID,
            log: log
        )
        self.peers = PeerMonitor(configuration: configuration, eventLoop: eventLoop, log: log)
        if let hintSink {
            peers.onChange = { change in
                switch change {
                case .up(let node): hintSink.peerChanged(node, isUp: true)
                case .down(let node): hintSink.peerChanged(node, isUp: false)
                case .ping: break
                }
            }
        }
        self.coordinator = CoordinatorShell(
            coordinator: NodeCoordinator(
                selfID: configuration.nodeID,
                ring: ring,
                settings: CoordinatorSettings(
                    replicationFactor: configuration.replicationFactor,
                    defaultTimeoutMillis: configuration.defaultTimeoutMillis,
                    maxTimeoutMillis: configuration.maxTimeoutMillis
                )
            ),
            eventLoop: eventLoop,
            stats: stats,
            replica: replica,
            peers: peers
        )
    }

    // MARK: lifecycle

    /// Starts the periodic pings (and the first connection attempts).
    func start() {
        peers.start()
    }

    /// Stops accepting client requests; completes when in-flight requests and storage calls have finished
    /// or `grace` has passed.
    func drain(grace: TimeAmount) -> EventLoopFuture<Void> {
        coordinator.startDraining()
        let promise = eventLoop.makePromise(of: Void.self)
        let deadline = NIODeadline.now() + grace
        func check() {
            let inFlight = coordinator.inFlight
            if (inFlight == 0 && replica.local.isIdle) || NIODeadline.now() >= deadline {
                if inFlight > 0 { log.warning("shutdown grace period over", metadata: ["inFlight": "\(inFlight)"]) }
                promise.succeed(())
            } else {
                eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(10)) { check() }
            }
        }
        check()
        return promise.futureResult
    }

    /// Stops pings, closes peer links and client connections.
    func stop() -> EventLoopFuture<Void> {
        stopped = true
        var futures = peers.stop()
        for handler in connections.values { futures.append(handler.close()) }
        return EventLoopFuture.andAllComplete(futures, on: eventLoop)
    }

    func register(_ handler: NodeConnectionHandler) {
        connections[ObjectIdentifier(handler)] = handler
        stats.connectionsAccepted += 1
        peers.noteInboundConnection()
    }

    func unregister(_ handler: NodeConnectionHandler) {
        connections.removeValue(forKey: ObjectIdentifier(handler))
    }

    func countProtocolError() { stats.protocolErrors += 1 }

    // MARK: dispatch

    /// Handles one request frame from a connection.
    func handle(_ frame: WireFrame, from sink: NodeConnectionHandler) {
        switch frame.message {
        case .get(let key, let consistency, let timeout, let quorum):
            stats.gets += 1
            coordinator.read(
                requestID: frame.requestID,
                key: key,
                consistency: consistency,
                timeoutMillis: timeout,
                quorum: quorum,
                sink: sink
            )
        case .put(let key, let value, let consistency, let timeout, let quorum):
            stats.puts += 1
            coordinator.write(
                requestID: frame.requestID,
                key: key,
                value: value,
                consistency: consistency,
                timeoutMillis: timeout,
                quorum: quorum,
                sink: sink
            )
        case .delete(let key, let consistency, let timeout, let quorum):
            stats.deletes += 1
            coordinator.write(
                requestID: frame.requestID,
                key: key,
                value: nil,
                consistency: consistency,
                timeoutMillis: timeout,
                quorum: quorum,
                sink: sink
            )
        case .replicaHintedWrite(let key, let cell, let home):
            coordinator.observe(cell.version)
            replica.serveHintedWrite(requestID: frame.requestID, key: key, cell: cell, home: NodeID(home), sink: sink)
        case .replicaWrite(let key, let cell):
            coordinator.observe(cell.version)
            replica.serveWrite(requestID: frame.requestID, key: key, cell: cell, sink: sink)
        case .replicaRead(let key):
            replica.serveRead(requestID: frame.requestID, key: key, sink: sink)
        case .ping:
            sink.reply(frame.requestID, .pong)
        case .ring:
            sink.reply(frame.requestID, .ringResult(wireRing))
        case .status:
            status(requestID: frame.requestID, sink: sink)
        case .getResult, .writeResult, .ringResult, .statusResult, .pong, .error, .replicaAck, .replicaReadResult,
            .replicaHintedAck:
            sink.reply(
                frame.requestID,
                .error(TesseraError(.invalidRequest, "\(frame.message.opcode) is a reply, not a request"))
            )
        }
    }

    private func status(requestID: UInt64, sink: NodeConnectionHandler) {
        let local = replica.local
        let engine = local.engine
        local.pool.runIfActive(eventLoop: eventLoop) { engine.stats() }
            .assumeIsolated()
            .whenComplete { [unowned self] result in
                let storage = (try? result.get()) ?? StorageStats()
                let views = peers.peerViews()
                let up = views.filter(\.isUp).map(\.node.name)
                let down = views.filter { !$0.isUp }.map(\.node.name)
                let status = WireStatus(
                    nodeID: selfID.name,
                    clusterName: configuration.clusterName,
                    uptimeMillis: UInt64((NIODeadline.now() - startedAt).nanoseconds / 1_000_000),
                    peersUp: up,
                    peersDown: down,
                    keysEstimate: UInt64(max(0, storage.liveKeyEstimate)),
                    diskBytes: UInt64(max(0, storage.diskBytes)),
                    gets: stats.gets,
                    puts: stats.puts,
                    deletes: stats.deletes,
                    failedRequests: stats.failedRequests,
                    replicaWrites: stats.replicaWrites,
                    replicaReads: stats.replicaReads,
                    counters: [
                        WireCounter(name: "readRepairs", value: stats.readRepairs),
                        WireCounter(name: "protocolErrors", value: stats.protocolErrors),
                        WireCounter(name: "connections", value: stats.connectionsAccepted),
                        WireCounter(name: "timeouts", value: stats.timeouts),
                        WireCounter(name: "unavailable", value: stats.unavailable),
                        WireCounter(name: "inFlight", value: UInt64(coordinator.inFlight)),
                        WireCounter(name: "storageWriteBatches", value: UInt64(local.writeBatches)),
                        WireCounter(name: "storageReadBatches", value: UInt64(local.readBatches)),
                        WireCounter(name: "walSyncs", value: UInt64(max(0, storage.walSyncs))),
                        WireCounter(name: "hintsHandedOff", value: stats.hintsHandedOff),
                        WireCounter(name: "hintsNotKept", value: stats.hintsNotKept),
                    ] + views.flatMap {
                        WirePeerView(
                            node: $0.node.name,
                            isUp: $0.isUp,
                            phi: $0.phi,
                            heardMillisAgo: $0.sinceHeardNanos.map { $0 / 1_000_000 }
                        ).counters
                    }
                )
                sink.reply(requestID, .statusResult(status))
            }
    }
}
