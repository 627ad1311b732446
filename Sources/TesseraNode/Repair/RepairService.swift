import Logging
import NIOCore
import NIOPosix
import TesseraCluster
import TesseraCore
import TesseraRing
import TesseraStorage
import TesseraWire

/// The node's anti-entropy shell: runs `RepairSession`s (on demand through REPAIR, and on a background
/// schedule), carrying their effects out against local storage and, over the wire, the other replicas; and
/// answers the replica side (MERKLE_TREES, RANGE_CELLS, APPLY_CELLS) and DIGEST.
///
/// Confined to `eventLoop`; storage scans run on the storage thread pool.
final class RepairService {
    typealias Send = (_ node: NodeID, _ message: WireMessage, _ timeout: TimeAmount, _ done: @escaping (Result<WireMessage, TesseraError>) -> Void) -> Void

    let selfID: NodeID
    let ring: Ring
    let replicationFactor: Int
    let configuration: RepairConfiguration
    let tombstoneGraceMillis: UInt64
    let local: LocalReplica
    let eventLoop: any EventLoop
    let log: Logger
    /// How long this node was down before its start (tombstone rule), nil if unknown.
    let downtimeMillis: UInt64?
    private let send: Send

    private var session: RepairSession?
    private var sessionID: UInt64 = 0
    private var sessionStarted: UInt64 = 0
    private var lastProgress: WireRepairProgress?
    private var ticker: Scheduled<Void>?
    private var schedule: Scheduled<Void>?
    private var stopped = false
    /// Repairs finished since start, for STATUS.
    private(set) var repairsFinished: UInt64 = 0

    /// Cell replies and writes are cut to this many bytes (well under the frame limit).
    static let maxCellBytes = 8 << 20

    init(
        selfID: NodeID, ring: Ring, replicationFactor: Int, configuration: RepairConfiguration,
        tombstoneGraceMillis: UInt64, local: LocalReplica, downtimeMillis: UInt64?, log: Logger, send: @escaping Send
    ) {
        self.selfID = selfID
        self.ring = ring
        self.replicationFactor = replicationFactor
        self.configuration = configuration
        self.tombstoneGraceMillis = tombstoneGraceMillis
        self.local = local
        self.eventLoop = local.eventLoop
        self.downtimeMillis = downtimeMillis
        self.log = log
        self.send = send
    }

    /// Starts the background schedule (unless its interval is 0). The first run is one interval after start,
    /// shifted by a per-node offset so that nodes started together do not all repair at once.
    func start() {
        if let downtime = downtimeMillis, downtime > tombstoneGraceMillis {
            log.error(
                "this node was down longer than the tombstone grace period: rebuild it (empty its data directory and restart); repair refuses it",
                metadata: ["downMillis": "\(downtime)", "graceMillis": "\(tombstoneGraceMillis)"]
            )
        }
        guard configuration.intervalSeconds > 0 else { return }
        let interval = Int64(configuration.intervalSeconds) * 1000
        // A per-node offset of up to a quarter interval spreads nodes started together.
        let offset = Int64(selfID.tag) % max(1, interval / 4)
        scheduleRepair(in: .milliseconds(interval + offset))
    }

    private func scheduleRepair(in delay: TimeAmount) {
        guard !stopped else { return }
        schedule = eventLoop.assumeIsolated().scheduleTask(in: delay) { [unowned self] in
            if session == nil {
                log.info("starting the scheduled repair")
                _ = startSession(WireRepairRequest())
            }
            scheduleRepair(in: .seconds(Int64(configuration.intervalSeconds)))
        }
    }

    private func tick() {
        ticker = eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [unowned self] in
            guard session != nil, !stopped else { return }
            perform(session!.onTick(nowMillis: WallClock.nowMillis()))
            if session != nil { tick() }
        }
    }

    func stop() {
        stopped = true
        schedule?.cancel()
        ticker?.cancel()
    }

    /// The ranges this node replicates, with their replicas.
    var tasks: [RepairTask] {
        TokenRange.ranges(of: ring).compactMap { range in
            let replicas = ring.preferenceList(forToken: range.end, replicationFactor: replicationFactor)
            return replicas.contains(selfID) ? RepairTask(range: range, replicas: replicas) : nil
        }
    }

    // MARK: requests

    /// Answers a healing request that belongs to repair; false if `message` is not one.
    func handle(_ message: WireHealingMessage, reply: @escaping (WireMessage) -> Void) -> Bool {
        switch message {
        case .repair(let request):
            switch startSession(request) {
            case .success(let progress): reply(.healing(.repairResult(progress)))
            case .failure(let error): reply(.error(error))
            }
        case .repairStatus:
            reply(.healing(.repairStatusResult(progress())))
        case .digest(let ranges):
            let wanted = ranges.map { TokenRange(start: $0.start, end: $0.end) }
            scan({ engine throws in try ReplicaScanner.digests(engine, ranges: wanted) }) { result in
                reply(result.map { .healing(.digestResult($0)) } ?? .error(result.error!))
            }
        case .merkleTrees(let depth, let ranges):
            guard Int(depth) <= MerkleTree.maxDepth else {
                reply(.error(TesseraError(.invalidRequest, "Merkle depth \(depth) exceeds \(MerkleTree.maxDepth)")))
                return true
            }
            let wanted = ranges.map { TokenRange(start: $0.start, end: $0.end) }
            let downtime = downtimeMillis ?? .max
            scan({ engine throws in try ReplicaScanner.trees(engine, ranges: wanted, depth: Int(depth)) }) { result in
                reply(
                    result.map {
                        .healing(.merkleTreesResult(downtimeMillis: downtime, trees: $0.map { WireMerkleTree(leaves: $0.leaves, counts: $0.counts) }))
                    } ?? .error(result.error!)
                )
            }
        case .rangeCells(let ranges):
            let wanted = ranges.map { TokenRange(start: $0.start, end: $0.end) }
            scan({ engine throws in try ReplicaScanner.cells(engine, ranges: wanted, maxBytes: Self.maxCellBytes) }) { result in
                reply(result.map { .healing(.rangeCellsResult($0)) } ?? .error(result.error!))
            }
        case .applyCells(let cells):
            for entry in cells {
                do throws(TesseraError) {
                    try Limits.checkKey(entry.key.count)
                    try Limits.checkValue(entry.cell.value?.count ?? 0)
                } catch {
                    reply(.error(error))
                    return true
                }
            }
            apply(cells) { error in reply(error.map { .error($0) } ?? .healing(.applyCellsResult(applied: UInt32(cells.count)))) }
        case .hintStats, .hintStatsResult, .repairResult, .repairStatusResult, .digestResult, .merkleTreesResult,
            .rangeCellsResult, .applyCellsResult:
            return false
        }
        return true
    }

    /// Runs a blocking storage scan on the pool; `done` runs on the event loop.
    private func scan<T: Sendable>(_ body: @escaping @Sendable (StorageEngine) throws -> T, _ done: @escaping (ScanResult<T>) -> Void) {
        let engine = local.engine
        local.pool.runIfActive(eventLoop: eventLoop) { try body(engine) }
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let value): done(ScanResult(value: value, error: nil))
                case .failure(let error): done(ScanResult(value: nil, error: LocalReplica.storageError(error)))
                }
            }
    }

    private struct ScanResult<T> {
        let value: T?
        let error: TesseraError?
        func map<U>(_ f: (T) -> U) -> U? { value.map(f) }
    }

    /// Applies cells to local storage (each only if newer: the engine keeps the highest version).
    private func apply(_ cells: [KeyCell], _ done: @escaping (TesseraError?) -> Void) {
        guard !cells.isEmpty else {
            done(nil)
            return
        }
        var remaining = cells.count
        var firstError: TesseraError?
        for entry in cells {
            local.write(entry.key, entry.cell) { error in
                if firstError == nil, let error { firstError = error }
                remaining -= 1
                if remaining == 0 { done(firstError) }
            }
        }
    }

    // MARK: sessions

    /// Starts a repair of `request.ranges` (all of this node's ranges when empty).
    func startSession(_ request: WireRepairRequest) -> Result<WireRepairProgress, TesseraError> {
        if session != nil {
            return .failure(
                TesseraError(.overloaded, "a repair is already running on \(selfID) (session \(sessionID)); wait for it (tessera repair shows its progress)")
            )
        }
        var chosen = tasks
        if !request.ranges.isEmpty {
            let wanted = request.ranges.map { TokenRange(start: $0.start, end: $0.end) }
            chosen = chosen.filter { task in wanted.contains { Self.overlap($0, task.range) } }
            if chosen.isEmpty {
                return .failure(TesseraError(.invalidRequest, "\(selfID) replicates none of the ranges given"))
            }
        }
        let depth = request.depth == 0 ? configuration.depth : Int(request.depth)
        guard depth <= MerkleTree.maxDepth else {
            return .failure(TesseraError(.invalidRequest, "Merkle depth \(depth) exceeds \(MerkleTree.maxDepth)"))
        }
        let options = RepairSession.Options(
            depth: depth,
            requestTimeoutMillis: configuration.requestTimeoutMillis,
            tombstoneGraceMillis: tombstoneGraceMillis,
            force: request.force
        )
        var newSession = RepairSession(tasks: chosen, options: options)
        sessionID += 1
        sessionStarted = WallClock.nowMillis()
        log.info("repair started", metadata: ["session": "\(sessionID)", "ranges": "\(chosen.count)", "force": "\(request.force)"])
        let effects = newSession.start(nowMillis: sessionStarted)
        session = newSession
        tick()
        perform(effects)
        return .success(progress())
    }

    /// Two token ranges share a token.
    static func overlap(_ a: TokenRange, _ b: TokenRange) -> Bool {
        a.width == 0 || b.width == 0 || a.contains(b.end) || b.contains(a.end)
    }

    /// The running session's progress, or the last finished one's.
    func progress() -> WireRepairProgress {
        guard let session else {
            return lastProgress
                ?? WireRepairProgress(
                    sessionID: 0, state: .none, phase: "", ranges: 0, rangesDiffering: 0, leavesDiffering: 0,
                    cellsReceived: 0, cellsWritten: 0, elapsedMillis: 0, failed: [], refused: []
                )
        }
        return Self.progress(session.summary, phase: session.phase, id: sessionID, elapsed: WallClock.nowMillis() - sessionStarted, running: true)
    }

    static func progress(_ s: RepairSummary, phase: RepairSession.Phase, id: UInt64, elapsed: UInt64, running: Bool) -> WireRepairProgress {
        WireRepairProgress(
            sessionID: id,
            state: running ? .running : .finished,
            phase: phase.rawValue,
            ranges: UInt32(clamping: s.ranges),
            rangesDiffering: UInt32(clamping: s.rangesDiffering),
            leavesDiffering: UInt32(clamping: s.leavesDiffering),
            cellsReceived: UInt64(s.cellsReceived),
            cellsWritten: UInt64(s.cellsWritten),
            elapsedMillis: elapsed,
            failed: s.failed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" },
            refused: s.refused.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        )
    }

    private func perform(_ effects: [RepairEffect]) {
        for effect in effects {
            switch effect {
            case .requestTrees(let node, let ranges, let depth):
                requestTrees(node, ranges, depth)
            case .requestCells(let node, let ranges):
                requestCells(node, ranges)
            case .writeCells(let node, let cells):
                writeCells(node, cells)
            case .finished(let summary):
                finish(summary)
            }
        }
    }

    private func timeout() -> TimeAmount { .milliseconds(Int64(configuration.requestTimeoutMillis)) }

    private func feed(_ event: (inout RepairSession, UInt64) -> [RepairEffect]) {
        guard session != nil, !stopped else { return }
        perform(event(&session!, WallClock.nowMillis()))
    }

    private func requestTrees(_ node: NodeID, _ ranges: [TokenRange], _ depth: Int) {
        if node == selfID {
            let downtime = downtimeMillis
            scan({ engine throws in try ReplicaScanner.trees(engine, ranges: ranges, depth: depth) }) { [unowned self] result in
                if let trees = result.value {
                    feed { $0.onTrees(from: node, trees: trees, downtimeMillis: downtime, nowMillis: $1) }
                } else {
                    feed { $0.onFailure(of: node, reason: result.error!.message, nowMillis: $1) }
                }
            }
            return
        }
        let wire = ranges.map { WireTokenRange(start: $0.start, end: $0.end) }
        send(node, .healing(.merkleTrees(depth: UInt8(depth), ranges: wire)), timeout()) { [unowned self] result in
            switch result {
            case .success(.healing(.merkleTreesResult(let downtime, let trees))):
                guard trees.count == ranges.count, trees.allSatisfy({ $0.leaves.count == 1 << depth && $0.counts.count == 1 << depth }) else {
                    feed { $0.onFailure(of: node, reason: "answered trees of the wrong shape", nowMillis: $1) }
                    return
                }
                let built = zip(ranges, trees).map { MerkleTree(range: $0, depth: depth, leaves: $1.leaves, counts: $1.counts) }
                feed { $0.onTrees(from: node, trees: built, downtimeMillis: downtime == .max ? nil : downtime, nowMillis: $1) }
            case .success(let other):
                feed { $0.onFailure(of: node, reason: Self.describe(other), nowMillis: $1) }
            case .failure(let error):
                feed { $0.onFailure(of: node, reason: error.message, nowMillis: $1) }
            }
        }
    }

    private func requestCells(_ node: NodeID, _ ranges: [TokenRange]) {
        if node == selfID {
            scan({ engine throws in try ReplicaScanner.cells(engine, ranges: ranges, maxBytes: .max) }) { [unowned self] result in
                if let cells = result.value {
                    feed { $0.onCells(from: node, cells: cells, nowMillis: $1) }
                } else {
                    feed { $0.onFailure(of: node, reason: result.error!.message, nowMillis: $1) }
                }
            }
            return
        }
        // One request per slice keeps each answer small; the answers are gathered before the session hears.
        let requests = ranges.map { WireMessage.healing(.rangeCells(ranges: [WireTokenRange(start: $0.start, end: $0.end)])) }
        gather(node, requests, extract: { reply in
            if case .healing(.rangeCellsResult(let cells)) = reply { return cells }
            return nil
        }) { [unowned self] cells in
            feed { $0.onCells(from: node, cells: cells, nowMillis: $1) }
        }
    }

    /// Sends every request to `node`; once all answered as `extract` expects, `done` gets the cells together.
    /// The first failure is reported to the session instead.
    private func gather(
        _ node: NodeID,
        _ requests: [WireMessage],
        extract: @escaping (WireMessage) -> [KeyCell]?,
        _ done: @escaping ([KeyCell]) -> Void
    ) {
        var remaining = requests.count
        var gathered: [KeyCell] = []
        var failed = false
        for request in requests {
            send(node, request, timeout()) { [unowned self] result in
                guard !failed else { return }
                let reason: String
                switch result {
                case .success(let reply):
                    if let cells = extract(reply) {
                        gathered += cells
                        remaining -= 1
                        if remaining == 0 { done(gathered) }
                        return
                    }
                    reason = Self.describe(reply)
                case .failure(let error):
                    reason = error.message
                }
                failed = true
                feed { $0.onFailure(of: node, reason: reason, nowMillis: $1) }
            }
        }
    }

    private func writeCells(_ node: NodeID, _ cells: [KeyCell]) {
        if node == selfID {
            apply(cells) { [unowned self] error in
                if let error {
                    feed { $0.onFailure(of: node, reason: error.message, nowMillis: $1) }
                } else {
                    feed { $0.onWritten(by: node, nowMillis: $1) }
                }
            }
            return
        }
        // Chunks under the frame limit; the session hears once every chunk was applied.
        var chunks: [[KeyCell]] = [[]]
        var bytes = 0
        for entry in cells {
            let size = entry.key.count + (entry.cell.value?.count ?? 0) + 24
            if bytes + size > Self.maxCellBytes && !chunks[chunks.count - 1].isEmpty {
                chunks.append([])
                bytes = 0
            }
            chunks[chunks.count - 1].append(entry)
            bytes += size
        }
        gather(node, chunks.map { .healing(.applyCells($0)) }, extract: { reply in
            if case .healing(.applyCellsResult) = reply { return [] }
            return nil
        }) { [unowned self] _ in
            feed { $0.onWritten(by: node, nowMillis: $1) }
        }
    }

    private func finish(_ summary: RepairSummary) {
        guard let finished = session else { return }
        lastProgress = Self.progress(summary, phase: finished.phase, id: sessionID, elapsed: summary.durationMillis, running: false)
        session = nil
        ticker?.cancel()
        ticker = nil
        repairsFinished += 1
        var metadata: Logger.Metadata = [
            "session": "\(sessionID)", "ranges": "\(summary.ranges)", "differing": "\(summary.rangesDiffering)",
            "written": "\(summary.cellsWritten)", "millis": "\(summary.durationMillis)",
        ]
        if !summary.failed.isEmpty { metadata["failed"] = "\(summary.failed)" }
        if !summary.refused.isEmpty { metadata["refused"] = "\(summary.refused)" }
        if summary.isComplete {
            log.info("repair finished", metadata: metadata)
        } else {
            log.warning("repair finished without every replica", metadata: metadata)
        }
    }

    static func describe(_ message: WireMessage) -> String {
        if case .error(let error) = message { return error.message }
        return "unexpected \(message.opcode) reply"
    }
}
