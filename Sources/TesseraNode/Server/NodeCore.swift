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
/// - hinted handoff and anti-entropy (HINT_STATS, REPAIR, DIGEST, MERKLE_TREES, ...): `NodeHealing`;
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
    let healing: NodeHealing
    /// What this node proves and accepts in the peer handshake.
    let peerCredentials: PeerHandshake.Credentials
    /// Admission control (bounded in-flight requests), consulted by each connection before `handle`.
    var admission: AdmissionControl

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
        self.admission = AdmissionControl(limits: configuration.admission)
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
        let credentials = PeerHandshake.Credentials(
            clusterName: configuration.clusterName,
            nodeID: configuration.nodeID.name,
            members: Set(configuration.members.map(\.id.name)),
            secret: configuration.clusterSecret
        )
        self.peerCredentials = credentials
        self.peers = PeerMonitor(configuration: configuration, credentials: credentials, eventLoop: eventLoop, log: log)
        self.coordinator = CoordinatorShell(
            coordinator: NodeCoordinator(
                selfID: configuration.nodeID,
                ring: ring,
                settings: CoordinatorSettings(
                    replicationFactor: configuration.replicationFactor,
                    defaultTimeoutMillis: configuration.defaultTimeoutMillis,
                    maxTimeoutMillis: configuration.maxTimeoutMillis,
                    loadAwareReads: configuration.loadAwareReads,
                    maxClockOffsetMillis: configuration.maxClockOffsetMillis
                )
            ),
            eventLoop: eventLoop,
            stats: stats,
            replica: replica,
            peers: peers
        )
        coordinator.log = log
        let healing = NodeHealing(configuration: configuration, ring: ring, local: replica.local, peers: peers, log: log)
        self.healing = healing
        (hintSink as? DurableHintStore)?.attach(healing.hints)
        // Peer up/down drives hint replay, and reaches any other hint sink too.
        peers.onChange = { change in
            switch change {
            case .up(let node):
                healing.peerUp(node)
                hintSink?.peerChanged(node, isUp: true)
            case .down(let node):
                healing.peerDown(node)
                hintSink?.peerChanged(node, isUp: false)
            case .ping, .localPause: break
            }
        }
    }

    // MARK: lifecycle

    /// Starts the periodic pings (and the first connection attempts).
    func start() {
        peers.start()
        healing.start(alivePeers: peers.alive().filter { $0 != selfID }.sorted())
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
        healing.stop()
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

    /// A client PUT, DELETE (`value` nil) or IDEMPOTENT_WRITE: counted, then handed to the coordinator shell.
    private func write(
        _ requestID: UInt64, _ key: [UInt8], _ value: [UInt8]?, _ consistency: ConsistencyLevel, _ timeoutMillis: UInt32,
        _ quorum: QuorumMode, _ idempotency: IdempotentWrite?, _ sink: NodeConnectionHandler
    ) {
        if value == nil { stats.deletes += 1 } else { stats.puts += 1 }
        coordinator.write(
            requestID: requestID, key: key, value: value, consistency: consistency, timeoutMillis: timeoutMillis,
            quorum: quorum, idempotency: idempotency, sink: sink
        )
    }

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
            write(frame.requestID, key, value, consistency, timeout, quorum, nil, sink)
        case .delete(let key, let consistency, let timeout, let quorum):
            write(frame.requestID, key, nil, consistency, timeout, quorum, nil, sink)
        case .idempotentWrite(let key, let value, let consistency, let timeout, let quorum, let writeID, let resend, let version):
            let idempotency = IdempotentWrite(id: writeID, isResend: resend, version: version)
            write(frame.requestID, key, value, consistency, timeout, quorum, idempotency, sink)
        case .replicaHintedWrite(let key, let cell, let home):
            if let error = coordinator.observeChecked(cell.version, from: "REPLICA_HINTED_WRITE") {
                sink.reply(frame.requestID, .error(error))
                return
            }
            replica.serveHintedWrite(requestID: frame.requestID, key: key, cell: cell, home: NodeID(home), sink: sink)
        case .replicaWrite(let key, let cell):
            // A version beyond the maximum clock offset is refused (and the clock left alone).
            if let error = coordinator.observeChecked(cell.version, from: "REPLICA_WRITE") {
                sink.answer(frame.requestID, .error(error), admitted: .replica)
                return
            }
            replica.serveWrite(requestID: frame.requestID, key: key, cell: cell, sink: sink)
        case .replicaRead(let key):
            replica.serveRead(requestID: frame.requestID, key: key, sink: sink)
        case .replicaReadVersion(let key):
            replica.serveReadVersion(requestID: frame.requestID, key: key, sink: sink)
        case .ping:
            sink.reply(frame.requestID, .pong)
        case .ring:
            sink.reply(frame.requestID, .ringResult(wireRing))
        case .status:
            status(requestID: frame.requestID, sink: sink)
        case .healing(let message):
            let id = frame.requestID
            healing.handle(message, nodeID: selfID) { sink.reply(id, $0) }
        case .hotKeys(let limit):
            sink.reply(frame.requestID, .hotKeysResult(replica.hotKeysReport(nodeID: selfID.name, limit: Int(limit))))
        case .peerHello, .peerAuth, .clientAuth:  // answered by NodeConnectionHandler; never reach here
            sink.reply(frame.requestID, .error(TesseraError(.invalidRequest, "\(frame.message.opcode) out of place")))
        case .getResult, .writeResult, .ringResult, .statusResult, .pong, .error, .replicaAck, .replicaReadResult,
            .replicaVersionResult, .replicaHintedAck, .hotKeysResult, .peerChallenge, .peerWelcome, .clientWelcome:
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
                        WireCounter(name: "storageMemoryReads", value: UInt64(local.memoryReads)),
                        WireCounter(name: "walSyncs", value: UInt64(max(0, storage.walSyncs))),
                        WireCounter(name: "hintsHandedOff", value: stats.hintsHandedOff),
                        WireCounter(name: "hintsNotKept", value: stats.hintsNotKept),
                    ] + StorageStatusCounters.counters(storage) + healing.counters + views.flatMap {
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
