public import TesseraCore
public import TesseraRing

/// One node's coordinator role as a pure value: admits client requests (draining, in-flight limit, key and
/// value limits, level), assigns write versions from its hybrid logical clock, picks the targets, and hands
/// back the per-request `WriteCoordinator` / `ReadCoordinator` the shell then drives.
///
/// No I/O, no clocks: `now` is monotonic nanoseconds (deadlines, spare reads), `wallMillis` the wall clock
/// (versions). The node shell and the simulator in TesseraTestSupport both use this type, so the simulation
/// judges the decisions production makes.
public struct NodeCoordinator: Sendable {
    /// This node.
    public let selfID: NodeID
    /// The ring the preference lists come from.
    public let ring: Ring
    public var settings: CoordinatorSettings
    /// The clock write versions come from; advanced past every version this node sees.
    public private(set) var clock = HybridLogicalClock()
    /// True once `startDraining()` was called: new requests are refused.
    public private(set) var draining = false
    /// Requests admitted and not yet reported finished.
    public private(set) var inFlight = 0
    /// Replica reads outstanding and recent latency per replica (`settings.loadAwareReads`); the shell reports
    /// sends and answers (`NodeCoordinator+ReadRanking.swift`).
    public internal(set) var readRanking = ReplicaLoadRanking()
    /// The versions given to recent idempotent writes, by client write id (`NodeCoordinator+Idempotency.swift`).
    public internal(set) var writeVersions = WriteVersionMemory(capacity: NodeCoordinator.writeVersionMemoryCapacity)

    public init(selfID: NodeID, ring: Ring, settings: CoordinatorSettings) {
        self.selfID = selfID
        self.ring = ring
        self.settings = settings
        self.preferences = PreferenceTable(ring: ring, replicationFactor: settings.replicationFactor)
    }

    /// The ring's preference lists for the replication factor, computed once (a lookup per request allocates
    /// nothing).
    private let preferences: PreferenceTable

    /// The home replicas of `key`, in ring order.
    public func replicas(for key: [UInt8]) -> [NodeID] {
        preferences.preferenceList(for: key)
    }

    /// The effective timeout of a request in nanoseconds: the default for 0, clamped to the maximum.
    public func timeoutNanos(requestedMillis millis: UInt32) -> UInt64 {
        let effective = millis == 0 ? settings.defaultTimeoutMillis : min(millis, settings.maxTimeoutMillis)
        return UInt64(effective) * 1_000_000
    }

    /// Refuse new requests from now on (shutdown).
    public mutating func startDraining() { draining = true }

    /// A version seen from another node (a replica write, a read response): later versions issued here exceed it.
    public mutating func observe(_ version: Version, wallMillis: UInt64) {
        clock.observe(version.timestamp, physicalMillis: wallMillis)
    }

    /// As `observe`, unless `version` is more than `settings.maxClockOffsetMillis` ahead of `wallMillis`: then
    /// the clock is left alone and the error says by how much (the caller refuses the message).
    public mutating func observeChecked(_ version: Version, wallMillis: UInt64) throws(ClockOffsetError) {
        try clock.observe(version.timestamp, physicalMillis: wallMillis, maxOffsetMillis: settings.maxClockOffsetMillis)
    }

    /// An admitted request was answered (successfully or not).
    public mutating func requestFinished() {
        precondition(inFlight > 0, "requestFinished without an admitted request")
        inFlight -= 1
    }

    /// Checks a request before anything is sent and returns the replicas needed.
    private func admit(key: [UInt8], value: [UInt8]?, level: ConsistencyLevel) throws(TesseraError) -> Int {
        if draining { throw TesseraError(.overloaded, "node \(selfID) is shutting down; use another node") }
        try Limits.checkKey(key.count)
        if let value { try Limits.checkValue(value.count) }
        return try level.required(replicationFactor: settings.replicationFactor)
    }

    /// Admits a put (`value` non-nil) or delete (`value == nil`), assigns its version and returns the coordinator
    /// to drive (call its `start()`); throws the error to answer with when the request is refused.
    /// - Parameters:
    ///   - alive: nodes the failure detector considers up.
    ///   - now: monotonic nanoseconds (the deadline is `now` + timeout).
    ///   - wallMillis: wall-clock milliseconds for the version and the hints' creation time.
    ///   - quorum: strict (default) or sloppy: stand-ins are the ring's next distinct nodes after the home replicas.
    public mutating func beginWrite(
        key: [UInt8],
        value: [UInt8]?,
        level: ConsistencyLevel,
        timeoutMillis: UInt32,
        alive: Set<NodeID>,
        now: UInt64,
        wallMillis: UInt64,
        quorum: QuorumMode = .strict,
        idempotency: IdempotentWrite? = nil
    ) throws(TesseraError) -> WriteCoordinator {
        guard level != .linearizable else {
            throw TesseraError(.internalError, "a LINEARIZABLE write must be begun with beginLinearizableWrite")
        }
        let required = try admit(key: key, value: value, level: level)
        // Hashed once for the ring and the write-id memory.
        let token = Murmur3.token(for: key)
        let version: Version
        if let idempotency {
            version = try resolveVersion(idempotency, keyToken: token, wallMillis: wallMillis)
                ?? Version(timestamp: clock.now(physicalMillis: wallMillis), node: selfID.tag)
            writeVersions.remember(idempotency.id, keyToken: token, version: version)
        } else {
            version = Version(timestamp: clock.now(physicalMillis: wallMillis), node: selfID.tag)
        }
        inFlight += 1
        let replicas: [NodeID]
        var fallbacks: [NodeID] = []
        if quorum == .sloppy {
            let all = ring.preferenceList(forToken: token, replicationFactor: ring.members.count)
            replicas = Array(all.prefix(settings.replicationFactor))
            fallbacks = Array(all.dropFirst(settings.replicationFactor))
        } else {
            replicas = preferences.preferenceList(forToken: token)
        }
        return WriteCoordinator(
            key: key,
            cell: Cell(version: version, value: value),
            replicas: replicas,
            alive: alive,
            required: required,
            level: level,
            deadline: now &+ timeoutNanos(requestedMillis: timeoutMillis),
            mode: quorum,
            fallbacks: fallbacks,
            createdMillis: wallMillis
        )
    }

    /// Refuses a sloppy request at LINEARIZABLE: a stand-in's ack or answer would break quorum intersection.
    private static func checkStrict(_ level: ConsistencyLevel, _ quorum: QuorumMode, _ operation: String) throws(TesseraError) {
        guard level == .linearizable, quorum == .sloppy else { return }
        throw TesseraError(
            .invalidRequest,
            "LINEARIZABLE \(operation)s use strict majority quorums: a sloppy quorum is refused "
                + "(a stand-in's acknowledgement would not intersect the next majority); send it strict"
        )
    }

    /// A version strictly above `seen` (when given) and above every version this node issued or observed: the
    /// LINEARIZABLE write phase's version (`LinearizableWriteCoordinator`). Advances the clock.
    public mutating func issueVersion(above seen: Version?, wallMillis: UInt64) -> Version {
        if let seen { clock.observe(seen.timestamp, physicalMillis: wallMillis) }
        return Version(timestamp: clock.now(physicalMillis: wallMillis), node: selfID.tag)
    }

    /// Admits a LINEARIZABLE put (`value` non-nil) or delete and returns the two-phase coordinator to drive (call
    /// its `start(now:)`, and pass `issueVersion(above:wallMillis:remembering:)` to its `onVersionResponse`); a sloppy
    /// request is refused with `invalidRequest`. A resend of an idempotent write whose version is known (from the
    /// client or `writeVersions`) skips the version phase and writes that version again.
    public mutating func beginLinearizableWrite(
        key: [UInt8],
        value: [UInt8]?,
        timeoutMillis: UInt32,
        alive: Set<NodeID>,
        now: UInt64,
        wallMillis: UInt64,
        quorum: QuorumMode = .strict,
        idempotency: IdempotentWrite? = nil
    ) throws(TesseraError) -> LinearizableWriteCoordinator {
        try Self.checkStrict(.linearizable, quorum, "write")
        _ = try admit(key: key, value: value, level: .linearizable)
        var known: Version?
        if let idempotency {
            known = try resolveVersion(idempotency, key: key, wallMillis: wallMillis)
            if let known { writeVersions.remember(idempotency.id, key: key, version: known) }
        }
        inFlight += 1
        return LinearizableWriteCoordinator(
            key: key,
            value: value,
            replicas: replicas(for: key),
            alive: alive,
            deadline: now &+ timeoutNanos(requestedMillis: timeoutMillis),
            createdMillis: wallMillis,
            version: known,
            writeID: idempotency?.id,
            fanOut: settings.readFanOut,
            preferred: selfID
        )
    }

    /// Admits a get and returns the coordinator to drive (call its `start(now:)`). LINEARIZABLE is a strict
    /// majority read with blocking repair: the newest value is written back to a majority before the answer
    /// (ABD's second phase); a sloppy LINEARIZABLE read is refused.
    public mutating func beginRead(
        key: [UInt8],
        level: ConsistencyLevel,
        timeoutMillis: UInt32,
        alive: Set<NodeID>,
        now: UInt64,
        quorum: QuorumMode = .strict
    ) throws(TesseraError) -> ReadCoordinator {
        try Self.checkStrict(level, quorum, "read")
        let required = try admit(key: key, value: nil, level: level)
        inFlight += 1
        let order = readOrder(for: key)
        return ReadCoordinator(
            key: key,
            replicas: order,
            alive: alive,
            required: required,
            blockingRepair: ReadCoordinator.repairBlocks(
                required: required,
                replicationFactor: settings.replicationFactor
            ),
            level: level,
            fanOut: settings.readFanOut,
            preferred: settings.loadAwareReads ? order.first : selfID,
            deadline: now &+ timeoutNanos(requestedMillis: timeoutMillis),
            busy: ReadFanOut.busyForSpares(order) { readRanking.outstanding(at: $0) }
        )
    }
}
