public import TesseraCore

/// The quorum logic of one client read at level R, with read repair, as a pure state machine.
///
/// Strict quorum: only the N home replicas count. `start(now:)` fails fast with `unavailable` if fewer than
/// `required` are alive; otherwise it asks the first wave (see `ReadFanOut`): every live home replica, or with
/// `.speculative` only `required` of them (`preferred`, usually this node, first) and the others as *spares*,
/// sent when a replica fails or when `onTick(now:)` passes the spare delay. When `required` distinct responses have
/// arrived the answer is fixed: the newest cell among them (`Cell.newest`; "absent" is older than any
/// version). Responders that returned an older cell or nothing are *stale* and get the answer written back
/// (`.repair`).
///
/// - Background repair (`blockingRepair == false`, levels below QUORUM): the read succeeds at once and the
///   repairs go out alongside.
/// - Blocking repair (`blockingRepair == true`, QUORUM and above): the read succeeds only once at least
///   `required` replicas are known to hold the answer: responders that returned it plus stale replicas that
///   acknowledged their repair. In practice that is "the stale responders acked"; a further replica answering
///   with the answer's version also counts. So a later read at QUORUM cannot see an older value than this
///   one returned (monotonic quorum reads), as Cassandra's blocking read repair guarantees. If that cannot
///   happen before the deadline the read fails with `timeout`.
///
/// Responses arriving after the answer is fixed (also after completion) are compared with it: stale ones get
/// a background repair; a *newer* one (a concurrent write) is ignored: its own coordinator is responsible.
/// Replica errors count as failures: as soon as success is impossible the read fails early and says why.
///
/// Invariants: at most one terminal effect; after it only `.repair` effects; `succeed` carries the newest
/// cell among the `responses` counted; with blocking repair, `succeed` only when `required` replicas hold
/// the answer. No I/O, no clocks: time comes in as monotonic nanoseconds (`start(now:)`, `onTick(now:)`);
/// the shell owns request ids and calls `onTick` once `nextWakeup` has passed.
public struct ReadCoordinator: Sendable {
    /// The key being read.
    public let key: [UInt8]
    /// The key's home replicas (preference list), in ring order.
    public let replicas: [NodeID]
    /// Responses needed (R).
    public let required: Int
    /// Whether read repair blocks the answer (see the type's documentation).
    public let blockingRepair: Bool
    /// The level, for messages only.
    public let level: ConsistencyLevel?
    /// Live home replicas at `start()`, in the order they are asked (`preferred` first).
    public let targets: [NodeID]
    /// How the read fans out.
    public let fanOut: ReadFanOut
    /// Monotonic nanoseconds at which the read fails with `timeout` (nil: only `onDeadline()` ends it).
    public let deadline: UInt64?

    private enum Phase: Sendable { case idle, collecting, repairing, done }
    private enum Answer: Sendable { case pending, responded(Cell?), failed }
    /// What is known about one target (same index as `targets`): N is tiny, so arrays and linear search beat
    /// hashing node names.
    private struct Slot: Sendable {
        var answer: Answer = .pending
        /// Known to hold the fixed answer's version (blocking repair).
        var confirmed = false
        /// Sent a repair whose ack we wait for (blocking repair).
        var pendingRepair = false
        /// A repair was emitted for it (at most one per replica).
        var repaired = false
        /// The read was sent to it (spares are not, until released).
        var sent = false
    }

    private var phase: Phase = .idle
    private var slots: [Slot]
    private var responseCount = 0
    private var failures: [(NodeID, TesseraError)] = []
    /// The answer, once `required` responses arrived (`.some(nil)`: no replica has the key).
    private var answer: Cell?? = nil
    private var counted = 0
    private var confirmedCount = 0
    private var pendingRepairCount = 0
    /// When the spares go out if the read has not completed (monotonic nanoseconds), while spares remain.
    private var sparesAt: UInt64? = nil
    /// Replicas too busy for a timed spare (`ReadFanOut.busyForSpares`); a failure still sends them one.
    private let busy: Set<NodeID>

    /// - Parameters:
    ///   - replicas: the N home replicas of `key` (distinct).
    ///   - alive: nodes the failure detector considers up.
    ///   - required: R, 1...replicas.count.
    ///   - blockingRepair: true at QUORUM and above (`ReadCoordinator.repairBlocks(required:replicationFactor:)`).
    ///   - level: the level R came from, used in error messages.
    ///   - fanOut: all live replicas at once (default), or `required` first and spares later.
    ///   - preferred: asked first when live (the coordinating node itself: no network hop).
    ///   - deadline: monotonic nanoseconds after which `onTick` fails the read with `timeout`.
    ///   - busy: replicas that get no timed spare (too many reads outstanding there); failures still reach them.
    /// - Precondition: `required >= 1`.
    public init(
        key: [UInt8],
        replicas: [NodeID],
        alive: Set<NodeID>,
        required: Int,
        blockingRepair: Bool,
        level: ConsistencyLevel? = nil,
        fanOut: ReadFanOut = .all,
        preferred: NodeID? = nil,
        deadline: UInt64? = nil,
        busy: Set<NodeID> = []
    ) {
        precondition(required >= 1, "a read needs at least one response, got required = \(required)")
        self.key = key
        self.replicas = replicas
        self.required = required
        self.blockingRepair = blockingRepair
        self.level = level
        self.fanOut = fanOut
        self.deadline = deadline
        self.busy = busy
        var targets: [NodeID] = []
        targets.reserveCapacity(replicas.count)
        if let preferred, replicas.contains(preferred), alive.contains(preferred) { targets.append(preferred) }
        for replica in replicas where replica != preferred && alive.contains(replica) { targets.append(replica) }
        self.targets = targets
        self.slots = Array(repeating: Slot(), count: targets.count)
    }

    /// Whether a read needing `required` of `replicationFactor` replicas repairs before answering: at
    /// QUORUM (floor(N/2) + 1) and above.
    public static func repairBlocks(required: Int, replicationFactor: Int) -> Bool {
        required >= replicationFactor / 2 + 1
    }

    /// True once a terminal effect was emitted.
    public var isComplete: Bool { phase == .done }
    /// Distinct replicas that answered so far.
    public var responses: Int { responseCount }
    /// Replicas that failed so far.
    public var failed: [NodeID] { failures.map(\.0) }

    /// Asks the first wave, or fails fast with `unavailable`. Calling it twice returns no effects.
    /// - Parameter now: monotonic nanoseconds, the origin of the spare delay.
    public mutating func start(now: UInt64 = 0) -> [ReadEffect] {
        guard phase == .idle else { return [] }
        guard targets.count >= required else {
            phase = .done
            return [
                .fail(
                    QuorumFailure.unavailable(
                        operation: "read",
                        level: level,
                        required: required,
                        alive: targets.count,
                        replicas: replicas.count
                    )
                )
            ]
        }
        phase = .collecting
        let wave: Int
        switch fanOut {
        case .all:
            wave = targets.count
        case .speculative(let afterNanos):
            wave = required
            if targets.count > required { sparesAt = now &+ afterNanos }
        }
        var effects: [ReadEffect] = []
        effects.reserveCapacity(wave)
        for i in 0..<wave {
            slots[i].sent = true
            effects.append(.send(to: targets[i]))
        }
        return effects
    }

    /// Replicas held back as spares so far.
    public var spares: [NodeID] { targets.indices.filter { !slots[$0].sent }.map { targets[$0] } }

    /// The next time (monotonic nanoseconds) the read wants `onTick`: the spare time or the deadline; nil when
    /// complete or when nothing is timed.
    public var nextWakeup: UInt64? {
        guard phase == .collecting || phase == .repairing else { return nil }
        switch (sparesAt, deadline) {
        case (let s?, let d?): return min(s, d)
        case (let s?, nil): return s
        case (nil, let d?): return d
        case (nil, nil): return nil
        }
    }

    /// Time passed: sends the spares once their delay is over, fails with `timeout` at the deadline.
    public mutating func onTick(now: UInt64) -> [ReadEffect] {
        if let deadline, now >= deadline { return onDeadline() }
        if let sparesAt, now >= sparesAt, phase == .collecting || phase == .repairing {
            return releaseSpares(skippingBusy: true)
        }
        return []
    }

    /// Sends the read to every spare (a replica failed), or, for a slow read, to every spare not `busy`.
    private mutating func releaseSpares(skippingBusy: Bool = false) -> [ReadEffect] {
        sparesAt = nil
        var effects: [ReadEffect] = []
        for i in slots.indices where !slots[i].sent && !(skippingBusy && busy.contains(targets[i])) {
            slots[i].sent = true
            effects.append(.send(to: targets[i]))
        }
        return effects
    }

    /// Live targets that have neither answered nor failed.
    private var outstanding: Int {
        var count = 0
        for slot in slots { if case .pending = slot.answer { count += 1 } }
        return count
    }

    /// True if `cell` is older than the fixed answer (absent counts as oldest).
    private static func isStale(_ cell: Cell?, comparedWith answer: Cell) -> Bool {
        guard let cell else { return true }
        return cell.version < answer.version
    }

    /// A replica answered with its newest cell of the key (`nil`: it has none).
    public mutating func onResponse(from node: NodeID, cell: Cell?) -> [ReadEffect] {
        guard phase != .idle, let i = targets.firstIndex(of: node), slots[i].sent, case .pending = slots[i].answer
        else { return [] }
        slots[i].answer = .responded(cell)
        responseCount += 1
        switch phase {
        case .idle:
            return []
        case .collecting:
            guard responseCount >= required else { return [] }
            return fixAnswer()
        case .repairing:
            guard case .some(.some(let winner)) = answer else { return [] }
            if let cell, cell.version == winner.version {
                slots[i].confirmed = true
                confirmedCount += 1
                return completeRepairIfConfirmed()
            }
            if Self.isStale(cell, comparedWith: winner) {
                slots[i].repaired = true
                slots[i].pendingRepair = true
                pendingRepairCount += 1
                return [.repair(to: node, cell: winner)]
            }
            return failIfRepairImpossible()  // newer: cannot confirm our answer
        case .done:
            guard case .some(.some(let winner)) = answer, Self.isStale(cell, comparedWith: winner),
                !slots[i].repaired
            else { return [] }
            slots[i].repaired = true
            return [.repair(to: node, cell: winner)]
        }
    }

    /// `required` responses are in: fix the answer and repair the stale responders.
    private mutating func fixAnswer() -> [ReadEffect] {
        var newest: Cell? = nil
        for slot in slots { if case .responded(let cell) = slot.answer { newest = Cell.newest(newest, cell) } }
        answer = .some(newest)
        counted = responseCount
        guard let winner = newest else {
            phase = .done
            return [.succeed(nil, responses: counted)]
        }
        var effects: [ReadEffect] = []
        for i in slots.indices {
            guard case .responded(let response) = slots[i].answer else { continue }
            if Self.isStale(response, comparedWith: winner) {
                slots[i].repaired = true
                effects.append(.repair(to: targets[i], cell: winner))
                if blockingRepair {
                    slots[i].pendingRepair = true
                    pendingRepairCount += 1
                }
            } else {
                slots[i].confirmed = true
                confirmedCount += 1
            }
        }
        if !blockingRepair || pendingRepairCount == 0 {
            phase = .done
            effects.append(.succeed(winner, responses: counted))
            return effects
        }
        phase = .repairing
        return effects
    }

    private mutating func completeRepairIfConfirmed() -> [ReadEffect] {
        guard phase == .repairing, confirmedCount >= required, case .some(let winner) = answer else { return [] }
        phase = .done
        return [.succeed(winner, responses: counted)]
    }

    /// Blocking repair: fail if fewer than `required` replicas can still end up holding the answer.
    private mutating func failIfRepairImpossible() -> [ReadEffect] {
        guard phase == .repairing, confirmedCount + pendingRepairCount + outstanding < required else { return [] }
        phase = .done
        let code = QuorumFailure.code(for: failures.map(\.1), write: false, acks: 0, sent: targets.count)
        let detail = failures.isEmpty ? "" : " (\(QuorumFailure.describe(failures)))"
        return [
            .fail(
                TesseraError(
                    failures.isEmpty ? .internalError : code,
                    "\(QuorumFailure.levelName(level, required: required)) read cannot confirm its answer on "
                        + "\(required) replicas: \(confirmedCount) hold it, \(pendingRepairCount) repairs pending, "
                        + "\(failures.count) replicas failed\(detail)"
                )
            )
        ]
    }

    /// A stale replica stored the repair.
    public mutating func onRepairAck(from node: NodeID) -> [ReadEffect] {
        guard phase == .repairing, let i = targets.firstIndex(of: node), slots[i].pendingRepair else { return [] }
        slots[i].pendingRepair = false
        pendingRepairCount -= 1
        slots[i].confirmed = true
        confirmedCount += 1
        return completeRepairIfConfirmed()
    }

    /// A replica failed: its read or its repair (or the shell could not reach it).
    /// While the read is open, a failure also sends the spares at once.
    public mutating func onFailure(from node: NodeID, error: TesseraError) -> [ReadEffect] {
        guard let i = targets.firstIndex(of: node), slots[i].sent else { return [] }
        let effects = failureEffects(i, node: node, error: error)
        guard phase == .collecting || phase == .repairing else { return effects }
        return releaseSpares() + effects
    }

    private mutating func failureEffects(_ i: Int, node: NodeID, error: TesseraError) -> [ReadEffect] {
        switch phase {
        case .idle, .done:
            return []
        case .collecting:
            guard case .pending = slots[i].answer else { return [] }
            slots[i].answer = .failed
            failures.append((node, error))
            guard targets.count - failures.count < required else { return [] }
            phase = .done
            let code = QuorumFailure.code(for: failures.map(\.1), write: false, acks: 0, sent: targets.count)
            return [
                .fail(
                    TesseraError(
                        code,
                        "\(QuorumFailure.levelName(level, required: required)) read cannot succeed: "
                            + "\(responseCount) of \(required) responses received, \(failures.count) of "
                            + "\(targets.count) replicas failed (\(QuorumFailure.describe(failures)))"
                    )
                )
            ]
        case .repairing:
            if slots[i].pendingRepair {
                slots[i].pendingRepair = false
                pendingRepairCount -= 1
                failures.append((node, error))
            } else if case .pending = slots[i].answer {
                slots[i].answer = .failed
                failures.append((node, error))
            } else {
                return []
            }
            return failIfRepairImpossible()
        }
    }

    /// The shell's deadline for this read passed.
    public mutating func onDeadline() -> [ReadEffect] {
        let name = QuorumFailure.levelName(level, required: required)
        switch phase {
        case .idle, .done:
            return []
        case .collecting:
            phase = .done
            sparesAt = nil
            return [
                .fail(
                    TesseraError(
                        .timeout,
                        "\(name) read: \(responseCount) of \(required) responses received before the deadline"
                    )
                )
            ]
        case .repairing:
            phase = .done
            let waiting = targets.indices.filter { slots[$0].pendingRepair }.map { targets[$0].name }
                .joined(separator: ", ")
            return [
                .fail(
                    TesseraError(
                        .timeout,
                        "\(name) read: \(counted) of \(required) responses received, but the read repair of "
                            + "\(waiting) was not acknowledged before the deadline (\(confirmedCount) of "
                            + "\(required) replicas confirmed the newest version)"
                    )
                )
            ]
        }
    }
}
