import Logging
import NIOCore
import TesseraCluster
import TesseraCore
import TesseraWire

/// The node's hinted-handoff shell: feeds `HintReplay` (the policy) with peer up/down, store answers, acks and
/// timer ticks, and carries out its effects against the `HintService` (SQLite) and the peers.
///
/// Confined to `eventLoop`, like `NodeCore`; store callbacks hop back to it.
final class HintHandoff {
    typealias Send = (_ hint: Hint, _ done: @escaping (TesseraError?) -> Void) -> Void

    let eventLoop: any EventLoop
    let service: HintService
    let log: Logger
    private var replay: HintReplay
    private let send: Send
    private var ticker: Scheduled<Void>?
    private var alive: Scheduled<Void>?
    private var stopped = false
    private var nextWake: UInt64?
    /// How long the node was down before this start, from the store's last `last_alive_ms` (nil: unknown).
    let downtimeMillis: UInt64?

    /// How often the replay policy gets a tick (retries, purges, targets that came up meanwhile).
    static let tickInterval: TimeAmount = .seconds(1)
    /// How often the node records that it is alive (the downtime of the tombstone rule is this precise).
    static let aliveInterval: TimeAmount = .seconds(10)

    init(configuration: HintReplayConfiguration, service: HintService, eventLoop: any EventLoop, log: Logger, send: @escaping Send) {
        self.replay = HintReplay(configuration: configuration)
        self.service = service
        self.eventLoop = eventLoop
        self.log = log
        self.send = send
        let now = WallClock.nowMillis()
        self.downtimeMillis = service.lastAliveMillis().map { now > $0 ? now - $0 : 0 }
        replay.recover(pending: service.pending())
        service.recordAlive(now)
    }

    /// Starts the timers.
    func start() {
        tick()
        recordAlive()
        let totals = replay.totals
        if totals.pendingHints > 0 {
            log.info("hints pending from before the restart", metadata: ["hints": "\(totals.pendingHints)"])
        }
    }

    private func tick() {
        guard !stopped else { return }
        ticker = eventLoop.assumeIsolated().scheduleTask(in: Self.tickInterval) { [unowned self] in
            perform(replay.onTick(nowMillis: WallClock.nowMillis()))
            tick()
        }
    }

    private func recordAlive() {
        guard !stopped else { return }
        alive = eventLoop.assumeIsolated().scheduleTask(in: Self.aliveInterval) { [unowned self] in
            service.recordAlive(WallClock.nowMillis())
            recordAlive()
        }
    }

    /// Stops the timers and closes the store (after queued store work).
    func stop() {
        stopped = true
        ticker?.cancel()
        alive?.cancel()
        service.recordAlive(WallClock.nowMillis())
        service.close()
    }

    // MARK: events

    /// Stores hints durably (the `HintSink` of the write path); `done` runs on the event loop with nil once they
    /// are committed, or the error. Hints over their target's size cap are not stored (counted as dropped) and
    /// fail the call with `overloaded`, so a stand-in never acknowledges a write it did not keep.
    func store(_ hints: [Hint], _ done: @escaping (TesseraError?) -> Void) {
        let accepted = replay.admit(hints)
        let overCap: TesseraError? =
            accepted.count == hints.count
            ? nil
            : TesseraError(
                .overloaded,
                "\(hints.count - accepted.count) hints dropped: their target has \(replay.configuration.maxBytesPerTarget) bytes "
                    + "of hints pending (--hint-max-per-target); anti-entropy repair covers them"
            )
        guard !accepted.isEmpty else {
            done(overCap)
            return
        }
        service.store(accepted, on: eventLoop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success:
                perform(replay.onStored(accepted, nowMillis: WallClock.nowMillis()))
                done(overCap)
            case .failure(let error):
                replay.onStoreFailed(accepted)
                done(Self.tesseraError(error))
            }
        }
    }

    /// The peer monitor saw `node` come up (or is up at start).
    func peerUp(_ node: NodeID) {
        perform(replay.onPeerUp(node, nowMillis: WallClock.nowMillis()))
    }

    func peerDown(_ node: NodeID) {
        perform(replay.onPeerDown(node))
    }

    // MARK: effects

    private func perform(_ effects: [HintReplayEffect]) {
        guard !stopped else { return }
        for effect in effects {
            switch effect {
            case .load(let target, let after, let limit, let ticket):
                service.load(target: target, afterID: after, limit: limit, on: eventLoop).assumeIsolated().whenComplete {
                    [self] result in
                    switch result {
                    case .success(let hints):
                        perform(replay.onLoaded(target: target, ticket: ticket, hints: hints, nowMillis: WallClock.nowMillis()))
                    case .failure(let error):
                        log.warning("cannot load hints", metadata: ["target": "\(target)", "error": "\(error)"])
                        perform(replay.onLoadFailed(target: target, ticket: ticket, nowMillis: WallClock.nowMillis()))
                    }
                }
            case .send(let stored):
                send(stored.hint) { [unowned self] error in
                    let now = WallClock.nowMillis()
                    if error == nil {
                        perform(replay.onAck(target: stored.hint.target, id: stored.id, nowMillis: now))
                    } else {
                        perform(replay.onFailure(target: stored.hint.target, id: stored.id, nowMillis: now))
                    }
                }
            case .delete(let ids):
                // A failed delete replays those hints again: harmless, they carry their original versions.
                _ = service.delete(ids: ids, on: eventLoop)
            case .expire(let before):
                service.deleteExpired(createdBeforeMillis: before, on: eventLoop).assumeIsolated().whenSuccess { [self] removed in
                    guard !removed.isEmpty else { return }
                    replay.onExpired(removed)
                    let count = removed.values.reduce(0) { $0 + $1.hints }
                    log.info("dropped hints older than the hint window", metadata: ["hints": "\(count)"])
                }
            case .wake(let at):
                scheduleWake(at: at)
            }
        }
    }

    private func scheduleWake(at millis: UInt64) {
        if let pending = nextWake, pending <= millis { return }
        nextWake = millis
        let now = WallClock.nowMillis()
        let delay = TimeAmount.milliseconds(Int64(millis > now ? millis - now : 0))
        eventLoop.assumeIsolated().scheduleTask(in: delay) { [unowned self] in
            nextWake = nil
            perform(replay.onTick(nowMillis: WallClock.nowMillis()))
        }
    }

    static func tesseraError(_ error: any Error) -> TesseraError {
        (error as? TesseraError) ?? TesseraError(.storage, "hint store: \(error)")
    }

    // MARK: stats

    /// HINT_STATS_RESULT for this node.
    func stats(nodeID: NodeID) -> WireHintStats {
        let counts = service.insertCounts
        return WireHintStats(
            nodeID: nodeID.name,
            problem: service.problem ?? "",
            stored: UInt64(counts.hints),
            insertTransactions: UInt64(counts.transactions),
            throttleBytesPerSecond: UInt64(replay.configuration.perTargetBytesPerSecond),
            hintWindowMillis: replay.configuration.hintWindowMillis,
            targets: replay.allStats.map { entry in
                let s = entry.stats
                return WireHintTarget(
                    node: entry.target.name, pendingHints: UInt64(s.pendingHints), pendingBytes: UInt64(s.pendingBytes),
                    replayed: s.replayed, expired: s.expired, dropped: s.dropped, failedSends: s.failedSends,
                    replaying: s.replaying, up: s.up
                )
            }
        )
    }

    /// Totals for STATUS counters.
    var totals: HintTargetStats { replay.totals }
}
