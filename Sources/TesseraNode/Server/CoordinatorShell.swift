import Logging
import NIOCore
import TesseraCluster
import TesseraCore
import TesseraWire

/// Carries out what the coordinator decides: asks `NodeCoordinator` to admit a client request, drives the
/// request's `WriteCoordinator` / `ReadCoordinator`, sends through `ReplicaChannel`, wakes coordinators when
/// their `nextWakeup` passes, and answers the client. It decides nothing itself (targets, spares, versions,
/// repairs and admission are the coordinator's). Confined to the event loop.
final class CoordinatorShell {
    let selfID: NodeID
    let eventLoop: any EventLoop
    let stats: NodeStats
    let replica: ReplicaService
    let peers: PeerMonitor
    private(set) var coordinator: NodeCoordinator
    /// Request metrics (nil with metrics off), recorded when a request is answered.
    var metrics: NodeMetrics?
    /// Where refused versions are logged (set by the node to its logger).
    var log = Logger(label: "tessera.coordinator")
    /// Wake-ups of in-flight requests (spares, deadlines), swept every `sweepInterval`. A request leaves the
    /// wheel when its client is answered: the wheel never keeps an answered request (nor its value) alive.
    private var timers = DeadlineWheel(granularity: CoordinatorShell.sweepInterval)
    private var sweepScheduled = false
    static let sweepInterval: TimeAmount = .milliseconds(5)

    init(coordinator: NodeCoordinator, eventLoop: any EventLoop, stats: NodeStats, replica: ReplicaService, peers: PeerMonitor) {
        self.selfID = coordinator.selfID
        self.coordinator = coordinator
        self.eventLoop = eventLoop
        self.stats = stats
        self.replica = replica
        self.peers = peers
    }

    deinit { timers.removeAll() }

    var inFlight: Int { coordinator.inFlight }

    /// Refuse new client requests (shutdown).
    func startDraining() { coordinator.startDraining() }

    /// A version seen in a replica write or read: the clock moves past it. (Seen versions are checked and observed
    /// against the coarse wall clock: a tick behind changes no decision, and each replica write saves a timer
    /// read; issue 7.)
    func observe(_ version: Version) { coordinator.observe(version, wallMillis: WallClock.coarseNowMillis()) }

    /// Observes a version from the wire; one beyond the maximum clock offset is logged and refused (the clock is
    /// left alone) and the error to answer with is returned.
    /// `source` is built only when the version is refused (it names the message and the peer).
    func observeChecked(_ version: Version, from source: @autoclosure () -> String) -> TesseraError? {
        do throws(ClockOffsetError) {
            try coordinator.observeChecked(version, wallMillis: WallClock.coarseNowMillis())
            return nil
        } catch {
            let source = source()
            log.warning("refused a version from the future", metadata: ["source": "\(source)", "error": "\(error)"])
            return TesseraError(.invalidRequest, "\(source) refused: \(error)")
        }
    }

    /// The one way to reach a replica.
    func channel(to node: NodeID) -> ReplicaChannel {
        if node == selfID { return .local(replica) }
        if let link = peers.links[node] { return .remote(link) }
        return .missing(node)
    }

    private static func monotonicNow() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    // MARK: answers

    private func refuse(_ requestID: UInt64, _ error: TesseraError, _ sink: NodeConnectionHandler) {
        count(error)
        sink.answer(requestID, .error(error), admitted: .client)
    }

    private func count(_ error: TesseraError) {
        stats.failedRequests += 1
        if error.code == .timeout { stats.timeouts += 1 }
        if error.code == .unavailable { stats.unavailable += 1 }
    }

    /// Answers the client once; a request already answered (or timed out) is left alone.
    private func finish<Op: InFlightRequest>(_ op: Op, _ message: WireMessage) {
        guard !op.finished else { return }
        op.finished = true
        timers.remove(op)
        coordinator.requestFinished()
        if op.metricSlot >= 0, let metrics {
            var code: TesseraError.Code?
            if case .error(let error) = message { code = error.code }
            metrics.record(slot: op.metricSlot, error: code, nanoseconds: Int64(Self.monotonicNow() &- op.startNanos))
        }
        op.sink.answer(op.requestID, message, admitted: .client)
    }

    /// Metrics: remembers the request's series and start, for `finish`.
    private func track<Op: InFlightRequest>(_ op: Op, _ kind: NodeMetrics.Operation, _ level: ConsistencyLevel, now: UInt64) {
        guard let metrics else { return }
        op.metricSlot = metrics.slot(kind, level)
        op.startNanos = now
    }

    private func finish<Op: InFlightRequest>(_ op: Op, error: TesseraError) {
        guard !op.finished else { return }
        count(error)
        finish(op, .error(error))
    }

    // MARK: timers

    private func schedule(_ op: some InFlightRequest, at nanos: UInt64?) {
        guard let nanos else {
            timers.remove(op)
            return
        }
        timers.insert(op, deadline: .uptimeNanoseconds(nanos))
        if !sweepScheduled {
            sweepScheduled = true
            eventLoop.assumeIsolated().scheduleTask(in: Self.sweepInterval) { [unowned self] in sweep() }
        }
    }

    private func sweep() {
        sweepScheduled = false
        let now = NIODeadline.now()
        for entry in timers.popExpired(now: now) {
            if let op = entry as? WriteOperation {
                guard !op.finished else { continue }
                perform(op.coordinator.onTick(now: now.uptimeNanoseconds), op)
                if !op.finished { schedule(op, at: op.coordinator.nextWakeup) }
            } else if let op = entry as? ReadOperation {
                guard !op.finished else { continue }
                perform(op.coordinator.onTick(now: now.uptimeNanoseconds), op)
                if !op.finished { schedule(op, at: op.coordinator.nextWakeup) }
            } else if let op = entry as? LinearizableWriteOperation {
                guard !op.finished else { continue }
                perform(op.coordinator.onTick(now: now.uptimeNanoseconds), op)
                if !op.finished { schedule(op, at: op.coordinator.nextWakeup) }
            }
        }
        if !timers.isEmpty && !sweepScheduled {
            sweepScheduled = true
            eventLoop.assumeIsolated().scheduleTask(in: Self.sweepInterval) { [unowned self] in sweep() }
        }
    }

    /// Admits a request through `begin` (answering the client with the refusal if it throws) and wraps the
    /// coordinator it returns with where to answer.
    private func admit<Machine>(
        _ requestID: UInt64,
        _ timeoutMillis: UInt32,
        _ sink: NodeConnectionHandler,
        _ kind: NodeMetrics.Operation,
        _ level: ConsistencyLevel,
        _ now: UInt64,
        _ begin: (inout NodeCoordinator) throws(TesseraError) -> Machine
    ) -> CoordinatedOperation<Machine>? {
        let machine: Machine
        do throws(TesseraError) {
            machine = try begin(&coordinator)
        } catch {
            metrics?.recordRequest(kind, level: level, error: error.code, nanoseconds: 0)
            refuse(requestID, error, sink)
            return nil
        }
        let timeout = TimeAmount.nanoseconds(Int64(coordinator.timeoutNanos(requestedMillis: timeoutMillis)))
        let op = CoordinatedOperation(coordinator: machine, requestID: requestID, sink: sink, timeout: timeout)
        track(op, kind, level, now: now)
        return op
    }

    // MARK: writes

    /// A client PUT (`value` non-nil) or DELETE.
    func write(
        requestID: UInt64,
        key: [UInt8],
        value: [UInt8]?,
        consistency: ConsistencyLevel,
        timeoutMillis: UInt32,
        quorum: QuorumMode = .strict,
        idempotency: IdempotentWrite? = nil,
        sink: NodeConnectionHandler
    ) {
        let now = Self.monotonicNow()
        if consistency == .linearizable {
            linearizableWrite(
                requestID: requestID, key: key, value: value, timeoutMillis: timeoutMillis, quorum: quorum,
                idempotency: idempotency, sink: sink
            )
            return
        }
        let alive = peers.alive()
        guard
            let op = admit(requestID, timeoutMillis, sink, value == nil ? .delete : .put, consistency, now, { node throws(TesseraError) in
                try node.beginWrite(
                    key: key,
                    value: value,
                    level: consistency,
                    timeoutMillis: timeoutMillis,
                    alive: alive,
                    now: now,
                    wallMillis: WallClock.nowMillis(),
                    quorum: quorum,
                    idempotency: idempotency
                )
            })
        else { return }
        let effects = op.coordinator.start()
        schedule(op, at: op.coordinator.nextWakeup)
        perform(effects, op)
    }

    private func perform(_ effects: [WriteEffect], _ op: WriteOperation) {
        var hints: [Hint] = []
        defer { if !hints.isEmpty { replica.storeHints(hints) { _ in } } }
        for effect in effects {
            switch effect {
            case .sendHinted(let standIn, let home):
                channel(to: standIn).hintedWrite(op.coordinator.key, op.coordinator.cell, home: home, timeout: op.timeout) {
                    [unowned self] error in
                    if let error {
                        perform(op.coordinator.onFailure(from: standIn, error: error), op)
                    } else {
                        perform(op.coordinator.onAck(from: standIn), op)
                    }
                }
            case .storeHint(let hint):
                hints.append(hint)
            case .send(let node):
                channel(to: node).write(op.coordinator.key, op.coordinator.cell, timeout: op.timeout) {
                    [unowned self] error in
                    if let error {
                        perform(op.coordinator.onFailure(from: node, error: error), op)
                    } else {
                        perform(op.coordinator.onAck(from: node), op)
                    }
                }
            case .succeed(let acks):
                finish(op, .writeResult(version: op.coordinator.cell.version, acks: acks))
            case .fail(let error):
                finish(op, error: error)
            }
        }
    }

    /// A client PUT or DELETE at LINEARIZABLE: the version phase reads, then the write phase writes.
    private func linearizableWrite(
        requestID: UInt64,
        key: [UInt8],
        value: [UInt8]?,
        timeoutMillis: UInt32,
        quorum: QuorumMode,
        idempotency: IdempotentWrite?,
        sink: NodeConnectionHandler
    ) {
        let now = Self.monotonicNow()
        let alive = peers.alive()
        guard
            let op = admit(requestID, timeoutMillis, sink, value == nil ? .delete : .put, .linearizable, now, { node throws(TesseraError) in
                try node.beginLinearizableWrite(
                    key: key,
                    value: value,
                    timeoutMillis: timeoutMillis,
                    alive: alive,
                    now: now,
                    wallMillis: WallClock.nowMillis(),
                    quorum: quorum,
                    idempotency: idempotency
                )
            })
        else { return }
        let effects = op.coordinator.start(now: now)
        schedule(op, at: op.coordinator.nextWakeup)
        perform(effects, op)
    }

    private func perform(_ effects: [LinearizableWriteEffect], _ op: LinearizableWriteOperation) {
        var hints: [Hint] = []
        defer { if !hints.isEmpty { replica.storeHints(hints) { _ in } } }
        for effect in effects {
            switch effect {
            case .read(let node):
                channel(to: node).readVersion(op.coordinator.key, timeout: op.timeout) { [unowned self] result in
                    switch result {
                    case .success(let version):
                        let (writeID, key) = (op.coordinator.writeID, op.coordinator.key)
                        let effects = op.coordinator.onVersionResponse(from: node, version: version) { [unowned self] seen in
                            coordinator.issueVersion(
                                above: seen, wallMillis: WallClock.nowMillis(), remembering: writeID, key: key
                            )
                        }
                        perform(effects, op)
                    case .failure(let error):
                        perform(op.coordinator.onReadFailure(from: node, error: error), op)
                    }
                }
            case .write(.send(let node)):
                guard let cell = op.coordinator.cell else { continue }
                channel(to: node).write(op.coordinator.key, cell, timeout: op.timeout) { [unowned self] error in
                    if let error {
                        perform(op.coordinator.onWriteFailure(from: node, error: error), op)
                    } else {
                        perform(op.coordinator.onWriteAck(from: node), op)
                    }
                }
            case .write(.sendHinted):
                continue  // never emitted: LINEARIZABLE writes are strict
            case .write(.storeHint(let hint)):
                hints.append(hint)
            case .write(.succeed(let acks)):
                guard let cell = op.coordinator.cell else { continue }
                finish(op, .writeResult(version: cell.version, acks: acks))
            case .write(.fail(let error)):
                finish(op, error: error)
            }
        }
    }

    // MARK: reads

    /// A client GET.
    func read(
        requestID: UInt64,
        key: [UInt8],
        consistency: ConsistencyLevel,
        timeoutMillis: UInt32,
        quorum: QuorumMode = .strict,
        sink: NodeConnectionHandler
    ) {
        let now = Self.monotonicNow()
        let alive = peers.alive()
        guard
            let op = admit(requestID, timeoutMillis, sink, .get, consistency, now, { node throws(TesseraError) in
                try node.beginRead(key: key, level: consistency, timeoutMillis: timeoutMillis, alive: alive, now: now, quorum: quorum)
            })
        else { return }
        let effects = op.coordinator.start(now: now)
        schedule(op, at: op.coordinator.nextWakeup)
        perform(effects, op)
    }

    private func perform(_ effects: [ReadEffect], _ op: ReadOperation) {
        for effect in effects {
            switch effect {
            case .send(let node):
                let isPeer = node != selfID
                let sentAt = Self.monotonicNow()
                coordinator.replicaReadSent(to: node)
                channel(to: node).read(op.coordinator.key, timeout: op.timeout) { [unowned self] result in
                    switch result {
                    case .success(let cell):
                        coordinator.replicaReadAnswered(by: node, afterNanos: Self.monotonicNow() &- sentAt)
                        if isPeer, let cell { _ = observeChecked(cell.version, from: "REPLICA_READ_RESULT of \(node)") }
                        perform(op.coordinator.onResponse(from: node, cell: cell), op)
                    case .failure(let error):
                        coordinator.replicaReadFailed(node)
                        perform(op.coordinator.onFailure(from: node, error: error), op)
                    }
                }
            case .repair(let node, let cell):
                stats.readRepairs += 1
                channel(to: node).write(op.coordinator.key, cell, timeout: op.timeout) { [unowned self] error in
                    if let error {
                        perform(op.coordinator.onFailure(from: node, error: error), op)
                    } else {
                        perform(op.coordinator.onRepairAck(from: node), op)
                    }
                }
            case .succeed(let cell, _):
                finish(op, .getResult(cell))
            case .fail(let error):
                finish(op, error: error)
            }
        }
    }
}
