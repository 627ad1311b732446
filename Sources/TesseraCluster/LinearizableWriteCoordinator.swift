public import TesseraCore

/// A LINEARIZABLE write (ABD, Attiya, Bar-Noy and Dolev 1995) as a pure state machine, in two phases:
///
/// 1. *Version phase*: a strict majority read of the key from its home replicas (a `ReadCoordinator` at
///    R = majority, no repair; with `fanOut: .speculative` only a majority is asked first, the coordinator itself
///    first, and the others are spares, as for a QUORUM read). Fewer than a majority alive fails fast with
///    `unavailable`, nothing sent.
/// 2. *Write phase*: on the majority's answers the version is `issueVersion(highest seen)`, which the shell
///    passes from `NodeCoordinator.issueVersion(above:wallMillis:)`: strictly above every version the majority
///    returned and above the coordinator's own clock, so the order of writes is the order the quorums saw,
///    not the coordinators' wall clocks. Then the cell is written as a strict majority write (a
///    `WriteCoordinator`: hints for replicas that do not acknowledge, as in strict mode).
///
/// A resend of an idempotent write whose version is known (`version` at init, from the client or the
/// coordinator's `WriteVersionMemory`) skips the version phase: `start` goes straight to the write phase with that
/// version. That is safe because the version was chosen by a version phase inside the same operation (its first
/// attempt), so it is still above every write that completed before the operation began; replicas that already
/// hold it apply nothing new.
///
/// A failure in the version phase is determinate (nothing was written) except a timeout, which keeps its code.
/// Invariants: at most one terminal effect (inside `.write`); answers from the wrong phase change nothing.
/// No I/O, no clocks: time and the version source are passed in.
public struct LinearizableWriteCoordinator: Sendable {
    /// The key being written.
    public let key: [UInt8]
    /// The value (nil: delete).
    public let value: [UInt8]?
    /// Replicas that must answer each phase: a strict majority of the N home replicas.
    public let required: Int
    /// The key's home replicas.
    public let replicas: [NodeID]
    /// The client's write id (an idempotent write), for the shell to pass to
    /// `NodeCoordinator.issueVersion(above:wallMillis:remembering:key:)`; nil for a plain write.
    public let writeID: UInt64?
    /// The version given at init (a resend): no version phase.
    public let resentVersion: Version?

    private let alive: Set<NodeID>
    private let deadline: UInt64?
    private let createdMillis: UInt64
    private var versionPhase: ReadCoordinator
    private var writePhase: WriteCoordinator?
    private var failedEarly = false

    /// - Parameters:
    ///   - replicas: the N home replicas of `key`.
    ///   - alive: nodes the failure detector considers up.
    ///   - deadline: monotonic nanoseconds after which `onTick` fails the write with `timeout` (both phases).
    ///   - createdMillis: wall-clock milliseconds for hints.
    ///   - version: the version of an earlier attempt of this write (a resend): skip the version phase.
    ///   - writeID: the client's write id, if the write has one.
    ///   - fanOut: which replicas the version phase asks first (`.all`: every live home replica).
    ///   - preferred: the replica asked first with a speculative fan-out (the coordinator itself).
    public init(
        key: [UInt8],
        value: [UInt8]?,
        replicas: [NodeID],
        alive: Set<NodeID>,
        deadline: UInt64? = nil,
        createdMillis: UInt64 = 0,
        version: Version? = nil,
        writeID: UInt64? = nil,
        fanOut: ReadFanOut = .all,
        preferred: NodeID? = nil
    ) {
        self.key = key
        self.resentVersion = version
        self.writeID = writeID
        self.value = value
        self.replicas = replicas
        self.required = replicas.count / 2 + 1
        self.alive = alive
        self.deadline = deadline
        self.createdMillis = createdMillis
        self.versionPhase = ReadCoordinator(
            key: key,
            replicas: replicas,
            alive: alive,
            required: replicas.count / 2 + 1,
            blockingRepair: false,
            level: .linearizable,
            fanOut: fanOut,
            preferred: preferred,
            deadline: deadline
        )
    }

    /// The cell being written: nil until the version phase is over.
    public var cell: Cell? { writePhase?.cell }
    /// True in the write phase.
    public var isWriting: Bool { writePhase != nil }
    /// True once a terminal effect was emitted.
    public var isComplete: Bool { failedEarly || (writePhase?.isComplete ?? false) }
    /// Distinct replicas that acknowledged the write phase so far.
    public var acks: Int { writePhase?.acks ?? 0 }

    /// Starts the version phase (or fails fast with `unavailable`). Calling it twice returns no effects.
    public mutating func start(now: UInt64) -> [LinearizableWriteEffect] {
        if let resentVersion {
            guard writePhase == nil else { return [] }
            return beginWritePhase(version: resentVersion)
        }
        return map(versionPhase.start(now: now), issueVersion: Self.noVersionSource)
    }

    /// A replica's answer to the version-phase read: the version of its newest cell of the key (nil: none; the
    /// shell asks with REPLICA_READ_VERSION, which returns no value). `issueVersion` is called once, when the
    /// majority is in, with the highest version seen (nil: no replica has the key); pass
    /// `{ nodeCoordinator.issueVersion(above: $0, wallMillis: wall) }`.
    public mutating func onVersionResponse(
        from node: NodeID,
        version: Version?,
        issueVersion: (Version?) -> Version
    ) -> [LinearizableWriteEffect] {
        guard writePhase == nil else { return [] }
        // The version phase compares versions only: each answer enters the majority read as a cell of that
        // version (a tombstone, since no value came), and the highest version is what it hands back.
        return map(versionPhase.onResponse(from: node, cell: version.map { Cell.tombstone($0) }), issueVersion: issueVersion)
    }

    /// A version-phase read failed (or the shell could not reach the replica).
    public mutating func onReadFailure(from node: NodeID, error: TesseraError) -> [LinearizableWriteEffect] {
        guard writePhase == nil else { return [] }
        return map(versionPhase.onFailure(from: node, error: error), issueVersion: Self.noVersionSource)
    }

    /// A replica stored the write-phase cell.
    public mutating func onWriteAck(from node: NodeID) -> [LinearizableWriteEffect] {
        guard var write = writePhase else { return [] }
        let effects = write.onAck(from: node)
        writePhase = write
        return effects.map { .write($0) }
    }

    /// A write-phase replica write failed.
    public mutating func onWriteFailure(from node: NodeID, error: TesseraError) -> [LinearizableWriteEffect] {
        guard var write = writePhase else { return [] }
        let effects = write.onFailure(from: node, error: error)
        writePhase = write
        return effects.map { .write($0) }
    }

    /// The next time (monotonic nanoseconds) the write wants `onTick`.
    public var nextWakeup: UInt64? {
        if let writePhase { return writePhase.nextWakeup }
        return failedEarly ? nil : versionPhase.nextWakeup
    }

    /// Time passed: at the deadline the write fails with `timeout` (and, in the write phase, emits its hints).
    public mutating func onTick(now: UInt64) -> [LinearizableWriteEffect] {
        if var write = writePhase {
            let effects = write.onTick(now: now)
            writePhase = write
            return effects.map { .write($0) }
        }
        return map(versionPhase.onTick(now: now), issueVersion: Self.noVersionSource)
    }

    /// Turns the version phase's effects into this machine's; on its success, starts the write phase.
    /// For events that cannot complete the version phase (a read reaches its majority only on a response).
    private static func noVersionSource(_ seen: Version?) -> Version {
        preconditionFailure("the version phase completed without a version source")
    }

    /// Starts the strict majority write of the cell with `version`.
    private mutating func beginWritePhase(version: Version) -> [LinearizableWriteEffect] {
        var write = WriteCoordinator(
            key: key,
            cell: Cell(version: version, value: value),
            replicas: replicas,
            alive: alive,
            required: required,
            level: .linearizable,
            deadline: deadline,
            mode: .strict,
            createdMillis: createdMillis
        )
        let started = write.start()
        writePhase = write
        return started.map { .write($0) }
    }

    private mutating func map(_ effects: [ReadEffect], issueVersion: (Version?) -> Version) -> [LinearizableWriteEffect] {
        guard !failedEarly, writePhase == nil else { return [] }
        var out: [LinearizableWriteEffect] = []
        for effect in effects {
            switch effect {
            case .send(let node):
                out.append(.read(to: node))
            case .repair:
                continue  // no repair in the version phase: the write itself brings the majority up to date
            case .succeed(let highest, _):
                let version = issueVersion(highest?.version)
                precondition(highest.map { version > $0.version } ?? true, "issued version not above the highest seen")
                return out + beginWritePhase(version: version)
            case .fail(let error):
                failedEarly = true
                let message = "LINEARIZABLE write, version phase (nothing was written): \(error.message)"
                return out + [.write(.fail(TesseraError(error.code, message)))]
            }
        }
        return out
    }
}
