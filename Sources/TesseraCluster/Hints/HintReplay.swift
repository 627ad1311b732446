public import TesseraCore

/// The hinted-handoff policy of one node as a pure state machine: which hints to keep, when and how fast to
/// replay them, when to delete them. Time comes in as wall-clock milliseconds; no I/O.
///
/// Rules:
/// - admission: a hint whose target already has `maxBytesPerTarget` pending is dropped (counted; anti-entropy
///   covers it);
/// - replay starts when the target is reported up (`onPeerUp`), and when hints arrive for a target that is
///   up; it stops when the target goes down;
/// - oldest first: hints are loaded from the store in row-id order, in batches of `batchSize`;
/// - throttle: one token bucket per target, `perTargetBytesPerSecond` (Cassandra's 1 MiB/s divided by the
///   other members), so the bytes one node sends to one returning node are bounded, and so is the sum of all
///   nodes replaying to it;
/// - at most `maxInFlight` unacknowledged hints per target;
/// - a hint is deleted only after its target acknowledged it; a failed send leaves the hint in the store,
///   pauses that target for `retryDelayMillis` and then reloads from its oldest remaining hint;
/// - hints older than `hintWindowMillis` are never sent: they are deleted and counted as expired.
///
/// Invariants (tested): a hint is sent only to an up target, never twice at once; `pendingHints` never goes
/// below zero; a hint leaves the store only via `.delete` after an ack or after expiry.
public struct HintReplay: Sendable {
    public let configuration: HintReplayConfiguration

    private enum Phase: Sendable, Equatable {
        case idle
        case loading
        case sending
        case waitingRetry(untilMillis: UInt64)
    }

    private struct Target: Sendable {
        var stats = HintTargetStats()
        var phase: Phase = .idle
        /// Answers to loads with an older ticket are ignored.
        var ticket: UInt64 = 0
        /// Highest row id loaded in this pass.
        var cursor: Int64 = 0
        /// True when the last load returned fewer than `batchSize` hints: the store has no more.
        var exhausted = false
        var queue: [StoredHint] = []
        var queueHead = 0
        /// Sent and not yet answered: row id -> bytes.
        var inFlight: [Int64: Int] = [:]
        /// Acknowledged, not yet deleted.
        var acked: [Int64] = []
        var tokens: Double = 0
        var lastRefillMillis: UInt64?

        var queued: Int { queue.count - queueHead }
    }

    private var targets: [NodeID: Target] = [:]
    private var nextTicket: UInt64 = 1
    private var lastExpireMillis: UInt64?

    public init(configuration: HintReplayConfiguration) {
        self.configuration = configuration
    }

    // MARK: queries

    /// Counters of `target` (zeros for a target never seen).
    public func stats(for target: NodeID) -> HintTargetStats { targets[target]?.stats ?? HintTargetStats() }

    /// Every target with hints or counters, sorted by name.
    public var allStats: [(target: NodeID, stats: HintTargetStats)] {
        targets.keys.sorted().map { ($0, targets[$0]!.stats) }
    }

    /// Sum over all targets.
    public var totals: HintTargetStats {
        var sum = HintTargetStats()
        for (_, t) in targets {
            sum.pendingHints += t.stats.pendingHints
            sum.pendingBytes += t.stats.pendingBytes
            sum.replayed += t.stats.replayed
            sum.expired += t.stats.expired
            sum.dropped += t.stats.dropped
            sum.failedSends += t.stats.failedSends
            sum.replaying = sum.replaying || t.stats.replaying
        }
        return sum
    }

    // MARK: storing

    /// The store already holds these hints (at startup): per target, count and bytes.
    public mutating func recover(pending: [NodeID: (hints: Int, bytes: Int)]) {
        for (node, p) in pending {
            targets[node, default: Target()].stats.pendingHints += p.hints
            targets[node, default: Target()].stats.pendingBytes += p.bytes
        }
    }

    /// Decides which of `hints` to store: those whose target is under its size cap. The accepted ones are
    /// counted as pending at once (report a failed store with `onStoreFailed`); the rest are counted dropped.
    public mutating func admit(_ hints: [Hint]) -> [Hint] {
        var accepted: [Hint] = []
        accepted.reserveCapacity(hints.count)
        for hint in hints {
            var t = targets[hint.target, default: Target()]
            let size = hint.byteSize
            if t.stats.pendingBytes + size > configuration.maxBytesPerTarget {
                t.stats.dropped += 1
            } else {
                t.stats.pendingHints += 1
                t.stats.pendingBytes += size
                accepted.append(hint)
            }
            targets[hint.target] = t
        }
        return accepted
    }

    /// Storing admitted hints failed: they are not pending (counted as dropped).
    public mutating func onStoreFailed(_ hints: [Hint]) {
        for hint in hints {
            guard var t = targets[hint.target] else { continue }
            t.stats.pendingHints = max(0, t.stats.pendingHints - 1)
            t.stats.pendingBytes = max(0, t.stats.pendingBytes - hint.byteSize)
            t.stats.dropped += 1
            targets[hint.target] = t
        }
    }

    /// Admitted hints are durable: replay starts for targets that are up and idle.
    public mutating func onStored(_ hints: [Hint], nowMillis: UInt64) -> [HintReplayEffect] {
        var effects: [HintReplayEffect] = []
        var seen: Set<NodeID> = []
        for hint in hints where seen.insert(hint.target).inserted {
            effects += startIfIdle(hint.target, nowMillis: nowMillis)
        }
        return effects
    }

    // MARK: peers

    /// The failure detector reports `target` up: replay its hints.
    public mutating func onPeerUp(_ target: NodeID, nowMillis: UInt64) -> [HintReplayEffect] {
        targets[target, default: Target()].stats.up = true
        return startIfIdle(target, nowMillis: nowMillis)
    }

    /// `target` is down: stop replaying to it (hints in flight are answered later or fail).
    public mutating func onPeerDown(_ target: NodeID) -> [HintReplayEffect] {
        guard var t = targets[target] else { return [] }
        t.stats.up = false
        let effects = stop(&t)
        targets[target] = t
        return effects
    }

    // MARK: replay

    /// The store answered a `.load`.
    public mutating func onLoaded(
        target: NodeID,
        ticket: UInt64,
        hints: [StoredHint],
        nowMillis: UInt64
    ) -> [HintReplayEffect] {
        guard var t = targets[target], t.phase == .loading, t.ticket == ticket else { return [] }
        var effects: [HintReplayEffect] = []
        if hints.isEmpty && t.cursor == 0 && t.inFlight.isEmpty {
            // The store has nothing for this target: correct counts that drifted (a failed delete, a crash).
            t.stats.pendingHints = 0
            t.stats.pendingBytes = 0
        }
        var expired: [Int64] = []
        let oldestKept = nowMillis > configuration.hintWindowMillis ? nowMillis - configuration.hintWindowMillis : 0
        t.queue.removeFirst(t.queueHead)
        t.queueHead = 0
        for stored in hints {
            t.cursor = max(t.cursor, stored.id)
            // Already sent (an answer from before a retry is still outstanding) or acknowledged: skip.
            if t.inFlight[stored.id] != nil || t.acked.contains(stored.id) { continue }
            if stored.hint.createdMillis < oldestKept {
                expired.append(stored.id)
                t.stats.expired += 1
                t.stats.pendingHints = max(0, t.stats.pendingHints - 1)
                t.stats.pendingBytes = max(0, t.stats.pendingBytes - stored.hint.byteSize)
                continue
            }
            t.queue.append(stored)
        }
        if !expired.isEmpty { effects.append(.delete(ids: expired)) }
        t.exhausted = hints.count < configuration.batchSize
        t.phase = .sending
        effects += pump(&t, target: target, nowMillis: nowMillis)
        targets[target] = t
        return effects
    }

    /// The store could not answer a `.load`: retry after `retryDelayMillis`.
    public mutating func onLoadFailed(target: NodeID, ticket: UInt64, nowMillis: UInt64) -> [HintReplayEffect] {
        guard var t = targets[target], t.phase == .loading, t.ticket == ticket else { return [] }
        var effects = stop(&t)
        let until = nowMillis + configuration.retryDelayMillis
        t.phase = .waitingRetry(untilMillis: until)
        t.stats.replaying = true
        effects.append(.wake(atMillis: until))
        targets[target] = t
        return effects
    }

    /// The target acknowledged a replayed hint.
    public mutating func onAck(target: NodeID, id: Int64, nowMillis: UInt64) -> [HintReplayEffect] {
        guard var t = targets[target], let bytes = t.inFlight.removeValue(forKey: id) else { return [] }
        t.stats.replayed += 1
        t.stats.pendingHints = max(0, t.stats.pendingHints - 1)
        t.stats.pendingBytes = max(0, t.stats.pendingBytes - bytes)
        t.acked.append(id)
        var effects: [HintReplayEffect] = []
        if t.phase == .sending {
            effects = pump(&t, target: target, nowMillis: nowMillis)
        } else if t.inFlight.isEmpty {
            effects = flushAcked(&t)
        }
        targets[target] = t
        return effects
    }

    /// Sending a hint failed (refused, timed out, connection lost): keep it, back off, retry from the oldest.
    public mutating func onFailure(target: NodeID, id: Int64, nowMillis: UInt64) -> [HintReplayEffect] {
        guard var t = targets[target], t.inFlight.removeValue(forKey: id) != nil else { return [] }
        t.stats.failedSends += 1
        var effects: [HintReplayEffect] = []
        if t.phase == .sending || t.phase == .loading {
            effects += stop(&t)
            if t.stats.up {
                let until = nowMillis + configuration.retryDelayMillis
                t.phase = .waitingRetry(untilMillis: until)
                t.stats.replaying = true
                effects.append(.wake(atMillis: until))
            }
        } else if t.inFlight.isEmpty {
            effects += flushAcked(&t)
        }
        targets[target] = t
        return effects
    }

    /// The store removed expired hints (after `.expire`): per target, count and bytes.
    public mutating func onExpired(_ removed: [NodeID: (hints: Int, bytes: Int)]) {
        for (node, r) in removed {
            guard var t = targets[node] else { continue }
            t.stats.expired += UInt64(r.hints)
            t.stats.pendingHints = max(0, t.stats.pendingHints - r.hints)
            t.stats.pendingBytes = max(0, t.stats.pendingBytes - r.bytes)
            targets[node] = t
        }
    }

    /// Timers: throttled targets send again, retries start, and expired hints are purged about every
    /// `expireCheckMillis`. Call it at the times `.wake` asked for, and periodically (e.g. every second).
    public mutating func onTick(nowMillis: UInt64) -> [HintReplayEffect] {
        var effects: [HintReplayEffect] = []
        for node in targets.keys.sorted() {
            var t = targets[node]!
            switch t.phase {
            case .waitingRetry(let until) where nowMillis >= until:
                t.phase = .idle
                targets[node] = t
                effects += startIfIdle(node, nowMillis: nowMillis)
                continue
            case .sending:
                effects += pump(&t, target: node, nowMillis: nowMillis)
            case .idle:
                targets[node] = t
                effects += startIfIdle(node, nowMillis: nowMillis)
                continue
            case .loading, .waitingRetry:
                break
            }
            targets[node] = t
        }
        if lastExpireMillis.map({ nowMillis >= $0 + expireCheckMillis }) ?? true {
            lastExpireMillis = nowMillis
            if nowMillis > configuration.hintWindowMillis {
                effects.append(.expire(createdBeforeMillis: nowMillis - configuration.hintWindowMillis))
            }
        }
        return effects
    }

    /// How often `onTick` purges expired hints: a tenth of the window, between 1 s and 60 s.
    public var expireCheckMillis: UInt64 { min(60_000, max(1000, configuration.hintWindowMillis / 10)) }

    // MARK: internals

    private mutating func startIfIdle(_ node: NodeID, nowMillis: UInt64) -> [HintReplayEffect] {
        guard var t = targets[node], t.stats.up, t.phase == .idle, t.stats.pendingHints > 0 else { return [] }
        t.cursor = 0
        t.queue = []
        t.queueHead = 0
        t.exhausted = false
        t.stats.replaying = true
        let effect = load(&t, node)
        targets[node] = t
        return [effect]
    }

    private mutating func load(_ t: inout Target, _ node: NodeID) -> HintReplayEffect {
        t.ticket = nextTicket
        nextTicket += 1
        t.phase = .loading
        return .load(target: node, afterID: t.cursor, limit: configuration.batchSize, ticket: t.ticket)
    }

    /// Ends the current pass: drops what is queued (it stays in the store), deletes what was acknowledged.
    private func stop(_ t: inout Target) -> [HintReplayEffect] {
        t.phase = .idle
        t.ticket = 0
        t.queue = []
        t.queueHead = 0
        t.stats.replaying = false
        return t.inFlight.isEmpty ? flushAcked(&t) : []
    }

    private func flushAcked(_ t: inout Target) -> [HintReplayEffect] {
        guard !t.acked.isEmpty else { return [] }
        let ids = t.acked
        t.acked = []
        return [.delete(ids: ids)]
    }

    /// Sends queued hints while the throttle and the in-flight limit allow; loads the next batch or finishes
    /// when the queue is empty and everything sent was answered.
    private mutating func pump(_ t: inout Target, target: NodeID, nowMillis: UInt64) -> [HintReplayEffect] {
        var effects: [HintReplayEffect] = []
        let rate = Double(configuration.perTargetBytesPerSecond)
        let capacity = max(rate, 1)
        if rate > 0 {
            if let last = t.lastRefillMillis {
                if nowMillis > last { t.tokens = min(capacity, t.tokens + Double(nowMillis - last) * rate / 1000) }
            } else {
                t.tokens = capacity
            }
            t.lastRefillMillis = max(t.lastRefillMillis ?? nowMillis, nowMillis)
        }
        while t.queued > 0 && t.inFlight.count < configuration.maxInFlight {
            if rate > 0 && t.tokens <= 0 {
                // Wait until the bucket is positive again.
                let waitMillis = UInt64((-t.tokens + 1) * 1000 / rate) + 1
                effects.append(.wake(atMillis: nowMillis + waitMillis))
                break
            }
            let stored = t.queue[t.queueHead]
            t.queueHead += 1
            let size = stored.hint.byteSize
            if rate > 0 { t.tokens -= Double(size) }
            t.inFlight[stored.id] = size
            effects.append(.send(stored))
        }
        if t.queued == 0 && t.inFlight.isEmpty {
            effects += flushAcked(&t)
            if t.exhausted {
                t.phase = .idle
                t.stats.replaying = false
                // Hints stored while this pass ran (ids beyond the cursor) start a new pass at the next tick.
            } else {
                effects.append(load(&t, target))
            }
        }
        return effects
    }
}
