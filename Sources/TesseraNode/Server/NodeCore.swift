import Logging
import NIOCore
import NIOPosix
import TesseraCluster
import TesseraCore
import TesseraRing
import TesseraStorage
import TesseraWire

/// The node's request logic on its event loop: coordinates client requests by driving the pure
/// `WriteCoordinator` / `ReadCoordinator` of TesseraCluster, serves replica requests from storage, pings
/// peers and feeds the `FailureDetector`.
///
/// Confined to `eventLoop` (the node runs on one event loop; every connection, peer link and callback is on
/// it), so its state needs no locks and a request costs no thread hop except the storage call.
final class NodeCore {
    let configuration: NodeConfiguration
    let selfID: NodeID
    let ring: Ring
    let replicationFactor: Int
    let eventLoop: any EventLoop
    let local: LocalReplica
    let log: Logger
    let wireRing: WireRing
    let startedAt = NIODeadline.now()
    /// What this node proves and accepts in the peer handshake.
    let peerCredentials: PeerHandshake.Credentials

    private var peers: [NodeID: PeerLink] = [:]
    private var failureDetector: FailureDetector
    private var clock = HybridLogicalClock()
    private(set) var stats = NodeStats()
    /// Client requests accepted and not yet answered.
    private(set) var inFlight = 0
    private(set) var draining = false
    private var stopped = false
    private var lastReconnectHint = NIODeadline.uptimeNanoseconds(0)
    private var pinger: Scheduled<Void>?
    private var connections: [ObjectIdentifier: NodeConnectionHandler] = [:]
    /// Request deadlines and speculative-read times, swept every `sweepInterval`.
    private var timers = DeadlineWheel<TimedEvent>(granularity: NodeCore.sweepInterval)
    private var sweepScheduled = false
    /// The failure detector's live set, recomputed at most every `aliveCacheTTL` or after a change.
    private var aliveCache: Set<NodeID> = []
    private var aliveCacheTime: ContinuousClock.Instant?

    static let sweepInterval: TimeAmount = .milliseconds(5)
    static let aliveCacheTTL: Duration = .milliseconds(20)
    /// A read that has not completed this long after being sent to R replicas is sent to the others too.
    static let speculativeReadDelay: TimeAmount = .milliseconds(30)

    /// Timed events hold their operation through a `TimerSlot`, emptied when the client is answered: the wheel
    /// keeps entries until their deadline (up to the 60 s maximum timeout), and holding finished operations
    /// kept every answered GET's value alive that long (about 1 MiB of RSS per 1 MiB GET; issue 8).
    private enum TimedEvent {
        case writeDeadline(TimerSlot<WriteOperation>)
        case readDeadline(TimerSlot<ReadOperation>)
        case speculativeRead(TimerSlot<ReadOperation>)
    }

    init(
        configuration: NodeConfiguration,
        engine: StorageEngine,
        pool: NIOThreadPool,
        eventLoop: any EventLoop,
        log: Logger
    ) {
        self.configuration = configuration
        self.selfID = configuration.nodeID
        self.replicationFactor = configuration.replicationFactor
        self.eventLoop = eventLoop
        self.log = log
        let memberIDs = configuration.members.map(\.id)
        self.ring = Ring(members: memberIDs, virtualNodes: configuration.virtualNodes)
        self.local = LocalReplica(engine: engine, pool: pool, eventLoop: eventLoop)
        self.failureDetector = FailureDetector(
            local: configuration.nodeID,
            peers: memberIDs,
            downAfter: .milliseconds(configuration.peerDownAfterMillis),
            now: .now
        )
        self.peerCredentials = PeerHandshake.Credentials(
            clusterName: configuration.clusterName,
            nodeID: configuration.nodeID.name,
            members: Set(memberIDs.map(\.name)),
            secret: configuration.clusterSecret
        )
        let ring = self.ring
        self.wireRing = WireRing(
            clusterName: configuration.clusterName,
            replicationFactor: configuration.replicationFactor,
            virtualNodes: configuration.virtualNodes,
            members: configuration.members.map {
                WireMember(nodeID: $0.id.name, host: $0.host, port: $0.port, tokens: ring.tokens(of: $0.id))
            }
        )
        for member in configuration.members where member.id != selfID {
            var peerLog = log
            peerLog[metadataKey: "peer"] = "\(member.id)"
            let link = PeerLink(member: member, eventLoop: eventLoop, log: peerLog, credentials: peerCredentials)
            let id = member.id
            link.onConnectivity = { [unowned self] connected in
                if !connected {
                    self.noteChange(self.failureDetector.onConnectionFailed(to: id, now: .now))
                } else {
                    self.ping(id)
                }
            }
            peers[id] = link
        }
    }

    // MARK: lifecycle

    /// Starts the periodic pings (and the first connection attempts).
    func start() {
        pingAll()
    }

    /// Stops accepting client requests; completes when in-flight requests and storage calls have finished
    /// or `grace` has passed.
    func drain(grace: TimeAmount) -> EventLoopFuture<Void> {
        draining = true
        let promise = eventLoop.makePromise(of: Void.self)
        let deadline = NIODeadline.now() + grace
        func check() {
            if (inFlight == 0 && local.isIdle) || NIODeadline.now() >= deadline {
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
        pinger?.cancel()
        pinger = nil
        var futures = peers.values.map { $0.stop() }
        for handler in connections.values { futures.append(handler.close()) }
        return EventLoopFuture.andAllComplete(futures, on: eventLoop)
    }

    func register(_ handler: NodeConnectionHandler) {
        connections[ObjectIdentifier(handler)] = handler
        stats.connectionsAccepted += 1
        // A new inbound connection may come from a peer that just started: reconnect to peers we cannot reach
        // now instead of waiting for the backoff (at most every 50 ms), so a cluster that starts together
        // converges in milliseconds and a restarted node is seen up at once.
        let now = NIODeadline.now()
        if now >= lastReconnectHint + .milliseconds(50) {
            lastReconnectHint = now
            for link in peers.values where !link.isConnected { link.connectSoon() }
        }
    }

    func unregister(_ handler: NodeConnectionHandler) {
        connections.removeValue(forKey: ObjectIdentifier(handler))
    }

    func countProtocolError() { stats.protocolErrors += 1 }

    // MARK: failure detection

    /// Pings every connected peer, starts connection attempts, and schedules the next round.
    private func pingAll() {
        guard !stopped else { return }
        let interval = TimeAmount.milliseconds(Int64(configuration.pingIntervalMillis))
        pinger = eventLoop.assumeIsolated().scheduleTask(in: interval) { [unowned self] in pingAll() }
        let now = ContinuousClock.now
        for change in failureDetector.tick(now: now) { noteChange(change) }
        for (id, link) in peers {
            if link.isConnected { ping(id) } else { link.connectIfIdle() }
        }
    }

    private func ping(_ id: NodeID) {
        guard let link = peers[id], link.isConnected else { return }
        let timeout = TimeAmount.milliseconds(Int64(configuration.peerDownAfterMillis))
        link.request(.ping, timeout: timeout) { [unowned self] result in
            switch result {
            case .success(.pong): noteChange(failureDetector.onPingAck(from: id, now: .now))
            case .success, .failure: noteChange(failureDetector.onPingTimeout(of: id, now: .now))
            }
        }
    }

    private func noteChange(_ change: FailureDetector.Change?) {
        if change != nil { aliveCacheTime = nil }
        switch change {
        case .up(let node)?: log.info("peer is up", metadata: ["peer": "\(node)"])
        case .down(let node)?: log.warning("peer is down", metadata: ["peer": "\(node)"])
        case nil: break
        }
    }

    func peerStates() -> (up: [String], down: [String]) {
        let now = ContinuousClock.now
        var up: [String] = []
        var down: [String] = []
        for member in configuration.members where member.id != selfID {
            if failureDetector.isAlive(member.id, now: now) {
                up.append(member.id.name)
            } else {
                down.append(member.id.name)
            }
        }
        return (up, down)
    }

    /// Live nodes (this node included) per the failure detector, cached briefly: computing the set costs an
    /// allocation and a walk over all peers.
    private func aliveNodes() -> Set<NodeID> {
        let now = ContinuousClock.now
        if let time = aliveCacheTime, now - time < Self.aliveCacheTTL { return aliveCache }
        aliveCache = failureDetector.alive(now: now)
        aliveCacheTime = now
        return aliveCache
    }

    private func schedule(_ event: TimedEvent, in amount: TimeAmount) {
        timers.insert(event, deadline: .now() + amount)
        if !sweepScheduled {
            sweepScheduled = true
            eventLoop.assumeIsolated().scheduleTask(in: Self.sweepInterval) { [unowned self] in sweep() }
        }
    }

    private func sweep() {
        sweepScheduled = false
        for event in timers.popExpired(now: .now()) {
            switch event {
            case .writeDeadline(let slot):
                if let op = slot.op, !op.finished { perform(op.coordinator.onDeadline(), op) }
            case .readDeadline(let slot):
                if let op = slot.op, !op.finished { perform(op.coordinator.onDeadline(), op) }
            case .speculativeRead(let slot):
                if let op = slot.op, !op.finished { sendSpareReads(op) }
            }
        }
        if !timers.isEmpty && !sweepScheduled {
            sweepScheduled = true
            eventLoop.assumeIsolated().scheduleTask(in: Self.sweepInterval) { [unowned self] in sweep() }
        }
    }

    // MARK: dispatch

    /// Handles one request frame from a connection.
    func handle(_ frame: WireFrame, from sink: NodeConnectionHandler) {
        switch frame.message {
        case .get(let key, let consistency, let timeout):
            stats.gets += 1
            coordinateRead(
                requestID: frame.requestID,
                key: key,
                consistency: consistency,
                timeoutMillis: timeout,
                sink: sink
            )
        case .put(let key, let value, let consistency, let timeout):
            stats.puts += 1
            coordinateWrite(
                requestID: frame.requestID,
                key: key,
                value: value,
                consistency: consistency,
                timeoutMillis: timeout,
                sink: sink
            )
        case .delete(let key, let consistency, let timeout):
            stats.deletes += 1
            coordinateWrite(
                requestID: frame.requestID,
                key: key,
                value: nil,
                consistency: consistency,
                timeoutMillis: timeout,
                sink: sink
            )
        case .replicaWrite(let key, let cell):
            stats.replicaWrites += 1
            // Checked here, not only in storage: one bad entry would fail the whole batch it shares with others.
            do throws(TesseraError) {
                try Limits.checkKey(key.count)
                try Limits.checkValue(cell.value?.count ?? 0)
            } catch {
                sink.reply(frame.requestID, .error(error))
                return
            }
            // A version beyond the maximum clock offset is refused (and the clock left alone).
            if let error = observeChecked(cell.version, from: "REPLICA_WRITE") {
                sink.reply(frame.requestID, .error(error))
                return
            }
            let id = frame.requestID
            local.write(key, cell) { error in
                sink.reply(id, error.map { .error($0) } ?? .replicaAck)
            }
        case .replicaRead(let key):
            stats.replicaReads += 1
            do throws(TesseraError) { try Limits.checkKey(key.count) } catch {
                sink.reply(frame.requestID, .error(error))
                return
            }
            let id = frame.requestID
            local.read(key) { result in
                switch result {
                case .success(let cell): sink.reply(id, .replicaReadResult(cell))
                case .failure(let error): sink.reply(id, .error(error))
                }
            }
        case .ping:
            sink.reply(frame.requestID, .pong)
        case .ring:
            sink.reply(frame.requestID, .ringResult(wireRing))
        case .status:
            status(requestID: frame.requestID, sink: sink)
        case .peerHello, .peerAuth:  // answered by NodeConnectionHandler; never reach here
            sink.reply(frame.requestID, .error(TesseraError(.invalidRequest, "\(frame.message.opcode) out of place")))
        case .getResult, .writeResult, .ringResult, .statusResult, .pong, .error, .replicaAck, .replicaReadResult,
            .peerChallenge, .peerWelcome:
            sink.reply(
                frame.requestID,
                .error(TesseraError(.invalidRequest, "\(frame.message.opcode) is a reply, not a request"))
            )
        }
    }

    private func status(requestID: UInt64, sink: NodeConnectionHandler) {
        let engine = local.engine
        local.pool.runIfActive(eventLoop: eventLoop) { engine.stats() }
            .assumeIsolated()
            .whenComplete { [unowned self] result in
                let storage = (try? result.get()) ?? StorageStats()
                let (up, down) = peerStates()
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
                        WireCounter(name: "inFlight", value: UInt64(inFlight)),
                        WireCounter(name: "storageWriteBatches", value: UInt64(local.writeBatches)),
                        WireCounter(name: "storageReadBatches", value: UInt64(local.readBatches)),
                        WireCounter(name: "walSyncs", value: UInt64(max(0, storage.walSyncs))),
                    ]
                )
                sink.reply(requestID, .statusResult(status))
            }
    }

    // MARK: validation

    private func timeoutAmount(_ millis: UInt32) -> TimeAmount {
        let effective = millis == 0 ? configuration.defaultTimeoutMillis : min(millis, configuration.maxTimeoutMillis)
        return .milliseconds(Int64(effective))
    }

    /// Checks the request before anything is sent; on failure answers with the error and returns nil.
    private func admit(
        requestID: UInt64,
        key: [UInt8],
        value: [UInt8]?,
        consistency: ConsistencyLevel,
        sink: NodeConnectionHandler
    ) -> Int? {
        if draining {
            fail(requestID, TesseraError(.overloaded, "node \(selfID) is shutting down; use another node"), sink)
            return nil
        }
        do throws(TesseraError) {
            try Limits.checkKey(key.count)
            if let value { try Limits.checkValue(value.count) }
            return try consistency.required(replicationFactor: replicationFactor)
        } catch {
            fail(requestID, error, sink)
            return nil
        }
    }

    private func fail(_ requestID: UInt64, _ error: TesseraError, _ sink: NodeConnectionHandler) {
        stats.failedRequests += 1
        switch error.code {
        case .timeout: stats.timeouts += 1
        case .unavailable: stats.unavailable += 1
        case .invalidRequest, .notFound, .storage, .protocolError, .overloaded, .internalError: break
        }
        sink.reply(requestID, .error(error))
    }

    // MARK: writes

    private func coordinateWrite(
        requestID: UInt64,
        key: [UInt8],
        value: [UInt8]?,
        consistency: ConsistencyLevel,
        timeoutMillis: UInt32,
        sink: NodeConnectionHandler
    ) {
        guard let required = admit(requestID: requestID, key: key, value: value, consistency: consistency, sink: sink)
        else { return }
        let version = Version(timestamp: clock.now(physicalMillis: WallClock.nowMillis()), node: selfID.tag)
        let cell = Cell(version: version, value: value)
        let replicas = ring.preferenceList(for: key, replicationFactor: replicationFactor)
        let alive = aliveNodes()
        let coordinator = WriteCoordinator(
            key: key,
            cell: cell,
            replicas: replicas,
            alive: alive,
            required: required,
            level: consistency
        )
        let timeout = timeoutAmount(timeoutMillis)
        let op = WriteOperation(
            coordinator: coordinator,
            requestID: requestID,
            sink: sink,
            key: key,
            cell: cell,
            timeout: timeout
        )
        inFlight += 1
        let effects = op.coordinator.start()
        if !op.coordinator.isComplete { schedule(.writeDeadline(op.timerSlot()), in: timeout) }
        perform(effects, op)
    }

    private func perform(_ effects: [WriteEffect], _ op: WriteOperation) {
        for effect in effects {
            switch effect {
            case .send(let node):
                sendReplicaWrite(op, to: node)
            case .succeed(let acks):
                finish(op, .writeResult(version: op.cell.version, acks: acks))
            case .fail(let error):
                finish(op, error: error)
            }
        }
    }

    /// Answers the client once; a request already answered (or timed out) is left alone.
    private func finish<Op: InFlightRequest>(_ op: Op, _ message: WireMessage) {
        guard !op.finished else { return }
        op.finished = true
        op.releaseTimerSlots()
        inFlight -= 1
        op.sink.reply(op.requestID, message)
    }

    /// Answers with an error and counts it in the node's stats.
    private func finish<Op: InFlightRequest>(_ op: Op, error: TesseraError) {
        guard !op.finished else { return }
        stats.failedRequests += 1
        if error.code == .timeout { stats.timeouts += 1 }
        if error.code == .unavailable { stats.unavailable += 1 }
        finish(op, .error(error))
    }

    private func sendReplicaWrite(_ op: WriteOperation, to node: NodeID) {
        if node == selfID {
            stats.replicaWrites += 1
            local.write(op.key, op.cell) { [unowned self] error in
                if let error {
                    perform(op.coordinator.onFailure(from: node, error: error), op)
                } else {
                    perform(op.coordinator.onAck(from: node), op)
                }
            }
            return
        }
        guard let link = peers[node] else {
            perform(op.coordinator.onFailure(from: node, error: TesseraError(.internalError, "no link to \(node)")), op)
            return
        }
        link.request(.replicaWrite(key: op.key, cell: op.cell), timeout: op.timeout) { [unowned self] result in
            switch result {
            case .success(.replicaAck): perform(op.coordinator.onAck(from: node), op)
            case .success(let other):
                perform(op.coordinator.onFailure(from: node, error: Self.replyError(other, node)), op)
            case .failure(let error):
                perform(op.coordinator.onFailure(from: node, error: Self.transportError(error, node)), op)
            }
        }
    }

    // MARK: reads

    private func coordinateRead(
        requestID: UInt64,
        key: [UInt8],
        consistency: ConsistencyLevel,
        timeoutMillis: UInt32,
        sink: NodeConnectionHandler
    ) {
        guard let required = admit(requestID: requestID, key: key, value: nil, consistency: consistency, sink: sink)
        else { return }
        let replicas = ring.preferenceList(for: key, replicationFactor: replicationFactor)
        let alive = aliveNodes()
        let coordinator = ReadCoordinator(
            key: key,
            replicas: replicas,
            alive: alive,
            required: required,
            blockingRepair: ReadCoordinator.repairBlocks(required: required, replicationFactor: replicationFactor),
            level: consistency
        )
        let timeout = timeoutAmount(timeoutMillis)
        let op = ReadOperation(
            coordinator: coordinator,
            requestID: requestID,
            sink: sink,
            key: key,
            timeout: timeout,
            required: required
        )
        inFlight += 1
        let effects = op.coordinator.start()
        if !op.coordinator.isComplete {
            schedule(.readDeadline(op.timerSlot()), in: timeout)
        }
        // Ask R replicas first, this node first (no network hop); hold the others back as spares, sent when a
        // replica fails or after `speculativeReadDelay`. A QUORUM read then costs R replica reads, not N.
        var targets: [NodeID] = []
        var rest: [ReadEffect] = []
        for effect in effects {
            if case .send(let node) = effect { targets.append(node) } else { rest.append(effect) }
        }
        if let index = targets.firstIndex(of: selfID), index > 0 {
            targets.remove(at: index)
            targets.insert(selfID, at: 0)
        }
        op.spares = Array(targets.dropFirst(required))
        for node in targets.prefix(required) { sendReplicaRead(op, to: node) }
        perform(rest, op)
        if !op.finished && !op.spares.isEmpty { schedule(.speculativeRead(op.timerSlot()), in: Self.speculativeReadDelay) }
    }

    /// Sends the read to the replicas held back so far (a replica failed, or the read is slow).
    private func sendSpareReads(_ op: ReadOperation) {
        let spares = op.spares
        op.spares = []
        for node in spares { sendReplicaRead(op, to: node) }
    }

    private func perform(_ effects: [ReadEffect], _ op: ReadOperation) {
        for effect in effects {
            switch effect {
            case .send(let node):
                sendReplicaRead(op, to: node)
            case .repair(let node, let cell):
                stats.readRepairs += 1
                sendRepair(op, to: node, cell: cell)
            case .succeed(let cell, _):
                finish(op, .getResult(cell))
            case .fail(let error):
                finish(op, error: error)
            }
        }
    }


    private func sendReplicaRead(_ op: ReadOperation, to node: NodeID) {
        if node == selfID {
            stats.replicaReads += 1
            local.read(op.key) { [unowned self] result in
                switch result {
                case .success(let cell):
                    perform(op.coordinator.onResponse(from: node, cell: cell), op)
                case .failure(let error):
                    if !op.finished { sendSpareReads(op) }
                    perform(op.coordinator.onFailure(from: node, error: error), op)
                }
            }
            return
        }
        guard let link = peers[node] else {
            perform(op.coordinator.onFailure(from: node, error: TesseraError(.internalError, "no link to \(node)")), op)
            return
        }
        link.request(.replicaRead(key: op.key), timeout: op.timeout) { [unowned self] result in
            switch result {
            case .success(.replicaReadResult(let cell)):
                if let cell { _ = observeChecked(cell.version, from: "REPLICA_READ_RESULT of \(node)") }
                perform(op.coordinator.onResponse(from: node, cell: cell), op)
            case .success(let other):
                if !op.finished { sendSpareReads(op) }
                perform(op.coordinator.onFailure(from: node, error: Self.replyError(other, node)), op)
            case .failure(let error):
                if !op.finished { sendSpareReads(op) }
                perform(op.coordinator.onFailure(from: node, error: Self.transportError(error, node)), op)
            }
        }
    }

    /// Sends the newest cell to a replica that answered with an older one. Blocking repairs report back to the
    /// coordinator; background ones (after the answer) are fire-and-forget.
    private func sendRepair(_ op: ReadOperation, to node: NodeID, cell: Cell) {
        if node == selfID {
            stats.replicaWrites += 1
            local.write(op.key, cell) { [unowned self] error in
                if let error {
                    perform(op.coordinator.onFailure(from: node, error: error), op)
                } else {
                    perform(op.coordinator.onRepairAck(from: node), op)
                }
            }
            return
        }
        guard let link = peers[node] else { return }
        link.request(.replicaWrite(key: op.key, cell: cell), timeout: op.timeout) { [unowned self] result in
            switch result {
            case .success(.replicaAck): perform(op.coordinator.onRepairAck(from: node), op)
            case .success(let other):
                perform(op.coordinator.onFailure(from: node, error: Self.replyError(other, node)), op)
            case .failure(let error):
                perform(op.coordinator.onFailure(from: node, error: Self.transportError(error, node)), op)
            }
        }
    }

    /// Advances the clock past `version` unless it is more than the maximum clock offset ahead; then logs and
    /// returns the error to answer with.
    private func observeChecked(_ version: Version, from source: String) -> TesseraError? {
        do throws(ClockOffsetError) {
            try clock.observe(
                version.timestamp,
                physicalMillis: WallClock.nowMillis(),
                maxOffsetMillis: configuration.maxClockOffsetMillis
            )
            return nil
        } catch {
            log.warning("refused a version from the future", metadata: ["source": "\(source)", "error": "\(error)"])
            return TesseraError(.invalidRequest, "\(source) refused: \(error)")
        }
    }

    // MARK: errors

    static func replyError(_ message: WireMessage, _ node: NodeID) -> TesseraError {
        if case .error(let error) = message { return error }
        return TesseraError(.internalError, "node \(node) answered with unexpected \(message.opcode)")
    }

    static func transportError(_ error: any Error, _ node: NodeID) -> TesseraError {
        if let error = error as? TesseraError { return error }
        return TesseraError(.internalError, "request to node \(node) failed: \(error)")
    }
}
