public import TesseraCore

/// The quorum logic of one client write (put or delete) at level W, as a pure state machine.
///
/// Strict quorum: only the N home replicas of the key's preference list count. `start()` fails fast with
/// `unavailable` (sending nothing) if fewer than `required` of them are alive; otherwise it sends the cell to
/// every live home replica. The write succeeds on the `required`-th distinct ack, fails early as soon as
/// success is impossible (live replicas minus failures < required), and fails with `timeout` when the shell
/// reports the deadline. Any failure after a send is *indeterminate*: replicas may have applied the write
/// (the error says so, and `TesseraError.isIndeterminate` is true), except when every replica it was sent to
/// refused it with a determinate error and none acknowledged.
///
/// Invariants: at most one terminal effect (`succeed`/`fail`), and never before `start()`; `succeed` only with
/// at least `required` distinct acks; answers from nodes that were not sent to, duplicates, and answers after
/// completion change nothing. No I/O, no clocks: the shell owns request ids and timers and calls
/// `onDeadline()` when its timer fires.
///
/// Quorum modes (`QuorumMode`): *strict* counts only home replicas, and emits `.storeHint` (not counted) for
/// every home replica that was down at `start()` (with `start`'s effects) or did not acknowledge by the
/// deadline (at the deadline, or as soon as every target has answered). *Sloppy* replaces each home replica
/// that is down by the next live node of `fallbacks` (ring order after the home replicas, each used once),
/// sends it `.sendHinted(to:home:)`, and counts its ack toward W; a home replica without a stand-in, or whose
/// stand-in fails or stays silent, gets a coordinator `.storeHint` as in strict mode.
public struct WriteCoordinator: Sendable {
    /// The key being written.
    public let key: [UInt8]
    /// The cell (value or tombstone, with its version) being replicated.
    public let cell: Cell
    /// The key's home replicas (the preference list), in ring order.
    public let replicas: [NodeID]
    /// Acks needed (W).
    public let required: Int
    /// The level, for messages only.
    public let level: ConsistencyLevel?

    /// The nodes the write is sent to: live home replicas in preference order, then sloppy stand-ins.
    public let targets: [NodeID]
    /// For each of `targets`: nil for a home replica, the home replica it stands in for otherwise.
    public var standsInFor: [NodeID?] { standIns.isEmpty ? Array(repeating: nil, count: targets.count) : standIns }
    /// `standsInFor` when there are stand-ins; empty otherwise (a strict write allocates no array for it).
    private let standIns: [NodeID?]
    /// Home replicas that were down at `start()` (not sent to).
    public let unreached: [NodeID]
    /// Strict or sloppy.
    public let mode: QuorumMode
    /// Wall-clock milliseconds the write was made at (its hints' `createdMillis`).
    public let createdMillis: UInt64
    /// Monotonic nanoseconds after which `onTick` fails the write with `timeout` (nil: only `onDeadline()`).
    public let deadline: UInt64?

    private enum Phase: Sendable { case idle, waiting, done }
    private enum Answer: Sendable { case pending, acked, failed }
    private var phase: Phase = .idle
    /// Per target (same index as `targets`): N is tiny, so arrays and linear search beat hashing node names.
    private var answers: [Answer]
    private var ackCount = 0
    private var failures: [(NodeID, TesseraError)] = []
    /// True once the hints for targets that did not acknowledge have been emitted.
    private var hintsSettled = false

    /// - Parameters:
    ///   - replicas: the N home replicas of `key` (distinct).
    ///   - alive: nodes the failure detector considers up (may include non-replicas).
    ///   - required: W, 1...replicas.count (resolve the level with `ConsistencyLevel.required`).
    ///   - level: the level W came from, used in error messages.
    ///   - deadline: monotonic nanoseconds at which `onTick(now:)` times the write out.
    ///   - mode: strict (default) or sloppy.
    ///   - fallbacks: sloppy stand-in candidates, the ring's distinct nodes after the home replicas, in order.
    ///   - createdMillis: wall-clock milliseconds for hints.
    /// - Precondition: `required >= 1`.
    public init(
        key: [UInt8],
        cell: Cell,
        replicas: [NodeID],
        alive: Set<NodeID>,
        required: Int,
        level: ConsistencyLevel? = nil,
        deadline: UInt64? = nil,
        mode: QuorumMode = .strict,
        fallbacks: [NodeID] = [],
        createdMillis: UInt64 = 0
    ) {
        precondition(required >= 1, "a write needs at least one ack, got required = \(required)")
        self.key = key
        self.cell = cell
        self.replicas = replicas
        self.required = required
        self.level = level
        self.deadline = deadline
        self.mode = mode
        self.createdMillis = createdMillis
        var targets: [NodeID]
        var unreached: [NodeID] = []
        if replicas.allSatisfy(alive.contains) {
            targets = replicas  // the usual case: shares the preference list, no array built per write
        } else {
            targets = []
            targets.reserveCapacity(replicas.count)
            for replica in replicas {
                if alive.contains(replica) { targets.append(replica) } else { unreached.append(replica) }
            }
        }
        var standIns: [NodeID?] = []
        if mode == .sloppy && !unreached.isEmpty {
            var candidates = fallbacks.filter { alive.contains($0) && !replicas.contains($0) }[...]
            for home in unreached {
                guard let standIn = candidates.popFirst() else { break }
                if standIns.isEmpty { standIns = [NodeID?](repeating: nil, count: targets.count) }
                targets.append(standIn)
                standIns.append(home)
            }
        }
        self.targets = targets
        self.standIns = standIns
        self.unreached = unreached
        self.answers = Array(repeating: .pending, count: targets.count)
    }

    /// True once a terminal effect was emitted.
    public var isComplete: Bool { phase == .done }
    /// Distinct replicas that acknowledged so far (including after completion).
    public var acks: Int { ackCount }
    /// Replicas that failed so far.
    public var failed: [NodeID] { failures.map(\.0) }

    /// Sends to every live home replica, or fails fast with `unavailable` if fewer than `required` are live.
    /// Calling it twice returns no effects.
    public mutating func start() -> [WriteEffect] {
        guard phase == .idle else { return [] }
        guard targets.count >= required else {
            phase = .done
            hintsSettled = true  // nothing was sent: the client was told, nothing to hand off
            return [
                .fail(
                    QuorumFailure.unavailable(
                        operation: "write",
                        level: level,
                        required: required,
                        alive: targets.count,
                        replicas: replicas.count
                    )
                )
            ]
        }
        phase = .waiting
        var effects: [WriteEffect] = []
        effects.reserveCapacity(targets.count)
        for (i, target) in targets.enumerated() {
            if let home = standIn(i) { effects.append(.sendHinted(to: target, home: home)) } else { effects.append(.send(to: target)) }
        }
        // Home replicas down and not covered by a stand-in: the coordinator keeps their hint.
        for home in unreached where !standIns.contains(home) { effects.append(.storeHint(hint(for: home))) }
        return effects
    }

    private func hint(for home: NodeID) -> Hint {
        Hint(target: home, key: key, cell: cell, createdMillis: createdMillis)
    }

    /// Hints for every target that did not acknowledge (for a stand-in: its home replica), once: at the
    /// deadline, or as soon as every target has answered.
    private mutating func settleHints(atDeadline: Bool) -> [WriteEffect] {
        guard !hintsSettled, phase != .idle else { return [] }
        guard atDeadline || !answers.contains(where: { if case .pending = $0 { return true } else { return false } })
        else { return [] }
        hintsSettled = true
        var effects: [WriteEffect] = []
        for i in targets.indices {
            if case .acked = answers[i] { continue }
            effects.append(.storeHint(hint(for: standIn(i) ?? targets[i])))
        }
        return effects
    }

    /// The home replica `targets[i]` stands in for; nil for a home replica.
    private func standIn(_ i: Int) -> NodeID? { standIns.isEmpty ? nil : standIns[i] }

    /// The index of `node` in `targets` if it has not answered yet.
    private func pendingIndex(_ node: NodeID) -> Int? {
        guard let i = targets.firstIndex(of: node), case .pending = answers[i] else { return nil }
        return i
    }

    /// A replica stored the cell.
    public mutating func onAck(from node: NodeID) -> [WriteEffect] {
        guard phase != .idle, let i = pendingIndex(node) else { return [] }
        answers[i] = .acked
        ackCount += 1
        guard phase == .waiting, ackCount >= required else { return settleHints(atDeadline: false) }
        phase = .done
        var effects = settleHints(atDeadline: false)
        effects.insert(.succeed(acks: ackCount), at: 0)
        return effects
    }

    /// A replica reported an error (or the shell could not reach it).
    public mutating func onFailure(from node: NodeID, error: TesseraError) -> [WriteEffect] {
        guard phase != .idle, let i = pendingIndex(node) else { return [] }
        answers[i] = .failed
        failures.append((node, error))
        guard phase == .waiting, targets.count - failures.count < required else { return settleHints(atDeadline: false) }
        phase = .done
        let code = QuorumFailure.code(
            for: failures.map(\.1),
            write: true,
            acks: ackCount,
            sent: targets.count
        )
        let outcome = TesseraError(code, "").isIndeterminate ? "; the write may have been applied" : ""
        return [
            .fail(
                TesseraError(
                    code,
                    "\(QuorumFailure.levelName(level, required: required)) write cannot succeed: "
                        + "\(ackCount) of \(required) acks received, \(failures.count) of \(targets.count) "
                        + "replicas failed (\(QuorumFailure.describe(failures)))\(outcome)"
                )
            )
        ] + settleHints(atDeadline: false)
    }

    /// The next time (monotonic nanoseconds) the write wants `onTick`: its deadline while it waits for the
    /// level or for the acknowledgements that decide its hints.
    public var nextWakeup: UInt64? { phase == .waiting || (phase == .done && !hintsSettled) ? deadline : nil }

    /// Time passed: at the deadline the write fails with `timeout` (if still waiting) and emits the hints of
    /// targets that did not acknowledge.
    public mutating func onTick(now: UInt64) -> [WriteEffect] {
        guard let deadline, now >= deadline else { return [] }
        return onDeadline()
    }

    /// The shell's deadline for this write passed.
    public mutating func onDeadline() -> [WriteEffect] {
        guard phase == .waiting else { return settleHints(atDeadline: true) }
        phase = .done
        return settleHints(atDeadline: true) + [
            .fail(
                TesseraError(
                    .timeout,
                    "\(QuorumFailure.levelName(level, required: required)) write: \(ackCount) of \(required) "
                        + "acks received before the deadline; the write may have been applied"
                )
            )
        ]
    }
}
