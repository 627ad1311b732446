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
/// Room for sloppy quorums: replicas that were down at `start()` are listed in `unreached`, for a later
/// hinted-handoff policy to cover with stand-ins.
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

    /// Live home replicas at `start()`, in preference order: the ones the write is sent to.
    public let targets: [NodeID]
    /// Home replicas that were down at `start()` (not sent to).
    public let unreached: [NodeID]
    /// Monotonic nanoseconds after which `onTick` fails the write with `timeout` (nil: only `onDeadline()`).
    public let deadline: UInt64?

    private enum Phase: Sendable { case idle, waiting, done }
    private enum Answer: Sendable { case pending, acked, failed }
    private var phase: Phase = .idle
    /// Per target (same index as `targets`): N is tiny, so arrays and linear search beat hashing node names.
    private var answers: [Answer]
    private var ackCount = 0
    private var failures: [(NodeID, TesseraError)] = []

    /// - Parameters:
    ///   - replicas: the N home replicas of `key` (distinct).
    ///   - alive: nodes the failure detector considers up (may include non-replicas).
    ///   - required: W, 1...replicas.count (resolve the level with `ConsistencyLevel.required`).
    ///   - level: the level W came from, used in error messages.
    ///   - deadline: monotonic nanoseconds at which `onTick(now:)` times the write out.
    /// - Precondition: `required >= 1`.
    public init(
        key: [UInt8],
        cell: Cell,
        replicas: [NodeID],
        alive: Set<NodeID>,
        required: Int,
        level: ConsistencyLevel? = nil,
        deadline: UInt64? = nil
    ) {
        precondition(required >= 1, "a write needs at least one ack, got required = \(required)")
        self.key = key
        self.cell = cell
        self.replicas = replicas
        self.required = required
        self.level = level
        self.deadline = deadline
        var targets: [NodeID] = []
        var unreached: [NodeID] = []
        targets.reserveCapacity(replicas.count)
        for replica in replicas {
            if alive.contains(replica) { targets.append(replica) } else { unreached.append(replica) }
        }
        self.targets = targets
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
        return targets.map { .send(to: $0) }
    }

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
        guard phase == .waiting, ackCount >= required else { return [] }
        phase = .done
        return [.succeed(acks: ackCount)]
    }

    /// A replica reported an error (or the shell could not reach it).
    public mutating func onFailure(from node: NodeID, error: TesseraError) -> [WriteEffect] {
        guard phase != .idle, let i = pendingIndex(node) else { return [] }
        answers[i] = .failed
        failures.append((node, error))
        guard phase == .waiting, targets.count - failures.count < required else { return [] }
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
        ]
    }

    /// The next time (monotonic nanoseconds) the write wants `onTick`: its deadline while it waits.
    public var nextWakeup: UInt64? { phase == .waiting ? deadline : nil }

    /// Time passed: at the deadline the write fails with `timeout`.
    public mutating func onTick(now: UInt64) -> [WriteEffect] {
        guard let deadline, now >= deadline else { return [] }
        return onDeadline()
    }

    /// The shell's deadline for this write passed.
    public mutating func onDeadline() -> [WriteEffect] {
        guard phase == .waiting else { return [] }
        phase = .done
        return [
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
