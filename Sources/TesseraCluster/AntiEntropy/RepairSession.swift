public import TesseraCore
import TesseraRing

/// One anti-entropy repair as a pure state machine: compare Merkle trees of every replica of each range,
/// stream the keys of the slices that differ, and write the newest cell of each such key to every replica
/// that lacks it (reconcile by version: the highest wins, tombstones included). Time comes in as wall-clock
/// milliseconds.
///
/// Phases: trees (one request per node, all its ranges) -> cells (one request per node, all its differing
/// slices) -> writes (one per node that lacks something) -> finished. A node that fails or does not answer
/// within `requestTimeoutMillis` is left out of the rest (the summary lists it); the others go on.
///
/// Tombstone rule (Cassandra's): a replica that was down longer than the tombstone grace period may have
/// missed deletes whose tombstones were purged elsewhere; repairing it would bring the deleted data back.
/// Such a replica (its tree answer reports its downtime) is refused unless `force`; it must be rebuilt.
public struct RepairSession: Sendable {
    public struct Options: Sendable, Equatable {
        /// Merkle depth: 2^depth leaves per range.
        public var depth: Int
        public var requestTimeoutMillis: UInt64
        /// Storage's tombstone grace period.
        public var tombstoneGraceMillis: UInt64
        /// Repair replicas even if they were down longer than the grace period.
        public var force: Bool

        public init(depth: Int = 10, requestTimeoutMillis: UInt64 = 60_000, tombstoneGraceMillis: UInt64, force: Bool = false) {
            self.depth = max(0, min(MerkleTree.maxDepth, depth))
            self.requestTimeoutMillis = requestTimeoutMillis
            self.tombstoneGraceMillis = tombstoneGraceMillis
            self.force = force
        }
    }

    /// Where the session is (for progress lines).
    public enum Phase: String, Sendable, Equatable {
        case idle, trees, cells, writes, finished
    }

    public let tasks: [RepairTask]
    public let options: Options
    public private(set) var phase: Phase = .idle
    public private(set) var summary = RepairSummary()

    private var startMillis: UInt64 = 0
    /// Per node: the task indexes it takes part in.
    private var nodeTasks: [NodeID: [Int]] = [:]
    /// Outstanding request per node: its deadline.
    private var outstanding: [NodeID: UInt64] = [:]
    /// Trees received: per task, per node.
    private var trees: [[NodeID: MerkleTree]]
    /// Nodes excluded so far (failed or refused).
    private var excluded: Set<NodeID> = []
    /// Differing slices per task.
    private var differing: [[TokenRange]]
    /// Cells received per node.
    private var cells: [NodeID: [KeyCell]] = [:]

    public init(tasks: [RepairTask], options: Options) {
        self.tasks = tasks
        self.options = options
        self.trees = Array(repeating: [:], count: tasks.count)
        self.differing = Array(repeating: [], count: tasks.count)
        for (i, task) in tasks.enumerated() {
            for node in task.replicas { nodeTasks[node, default: []].append(i) }
        }
    }

    /// Nodes taking part, sorted.
    public var nodes: [NodeID] { nodeTasks.keys.sorted() }
    /// Requests not yet answered.
    public var pendingNodes: [NodeID] { outstanding.keys.sorted() }

    /// Sends the tree requests.
    public mutating func start(nowMillis: UInt64) -> [RepairEffect] {
        guard phase == .idle else { return [] }
        startMillis = nowMillis
        summary.ranges = tasks.count
        phase = .trees
        var effects: [RepairEffect] = []
        for node in nodes {
            outstanding[node] = nowMillis + options.requestTimeoutMillis
            effects.append(.requestTrees(node: node, ranges: nodeTasks[node]!.map { tasks[$0].range }, depth: options.depth))
        }
        if effects.isEmpty { return finish(nowMillis: nowMillis) }
        return effects
    }

    /// `node` answered the tree request: trees in the order of the ranges requested, and how long it was down
    /// before its last start (nil if it does not know).
    public mutating func onTrees(
        from node: NodeID,
        trees received: [MerkleTree],
        downtimeMillis: UInt64?,
        nowMillis: UInt64
    ) -> [RepairEffect] {
        guard phase == .trees, outstanding.removeValue(forKey: node) != nil else { return [] }
        let mine = nodeTasks[node] ?? []
        if let downtime = downtimeMillis, downtime > options.tombstoneGraceMillis, !options.force {
            summary.refused[node] =
                "\(node) was down for \(Self.describe(millis: downtime)), longer than the tombstone grace period "
                + "(\(Self.describe(millis: options.tombstoneGraceMillis))): deletes it missed may have been purged "
                + "elsewhere, so repairing it could resurrect deleted data; rebuild it (empty its data directory "
                + "and restart) or repair with --force"
            excluded.insert(node)
        } else if received.count != mine.count {
            summary.failed[node] = "answered \(received.count) trees for \(mine.count) ranges"
            excluded.insert(node)
        } else {
            for (k, taskIndex) in mine.enumerated() { trees[taskIndex][node] = received[k] }
        }
        return advance(nowMillis: nowMillis)
    }

    /// `node` answered the cell request.
    public mutating func onCells(from node: NodeID, cells received: [KeyCell], nowMillis: UInt64) -> [RepairEffect] {
        guard phase == .cells, outstanding.removeValue(forKey: node) != nil else { return [] }
        summary.cellsReceived += received.count
        cells[node] = received
        return advance(nowMillis: nowMillis)
    }

    /// `node` applied the cells it was sent.
    public mutating func onWritten(by node: NodeID, nowMillis: UInt64) -> [RepairEffect] {
        guard phase == .writes, outstanding.removeValue(forKey: node) != nil else { return [] }
        return advance(nowMillis: nowMillis)
    }

    /// A request to `node` failed.
    public mutating func onFailure(of node: NodeID, reason: String, nowMillis: UInt64) -> [RepairEffect] {
        guard outstanding.removeValue(forKey: node) != nil else { return [] }
        summary.failed[node] = reason
        excluded.insert(node)
        return advance(nowMillis: nowMillis)
    }

    /// Fails requests past their deadline.
    public mutating func onTick(nowMillis: UInt64) -> [RepairEffect] {
        var effects: [RepairEffect] = []
        for (node, deadline) in outstanding.sorted(by: { $0.key < $1.key }) where nowMillis >= deadline {
            effects += onFailure(of: node, reason: "no answer within \(options.requestTimeoutMillis) ms", nowMillis: nowMillis)
        }
        return effects
    }

    // MARK: phases

    private mutating func advance(nowMillis: UInt64) -> [RepairEffect] {
        guard outstanding.isEmpty else { return [] }
        switch phase {
        case .trees: return compareTrees(nowMillis: nowMillis)
        case .cells: return reconcile(nowMillis: nowMillis)
        case .writes: return finish(nowMillis: nowMillis)
        case .idle, .finished: return []
        }
    }

    private mutating func compareTrees(nowMillis: UInt64) -> [RepairEffect] {
        var wanted: [NodeID: [TokenRange]] = [:]
        for (i, task) in tasks.enumerated() {
            let participants = task.replicas.filter { !excluded.contains($0) && trees[i][$0] != nil }
            guard participants.count >= 2, let first = trees[i][participants[0]] else { continue }
            var leaves: Set<Int> = []
            for other in participants.dropFirst() {
                leaves.formUnion(first.differingLeaves(trees[i][other]!))
            }
            guard !leaves.isEmpty else { continue }
            summary.rangesDiffering += 1
            summary.leavesDiffering += leaves.count
            differing[i] = first.ranges(ofLeaves: Array(leaves))
            for node in participants { wanted[node, default: []] += differing[i] }
        }
        guard !wanted.isEmpty else { return finish(nowMillis: nowMillis) }
        phase = .cells
        var effects: [RepairEffect] = []
        for node in wanted.keys.sorted() {
            outstanding[node] = nowMillis + options.requestTimeoutMillis
            effects.append(.requestCells(node: node, ranges: wanted[node]!))
        }
        return effects
    }

    private mutating func reconcile(nowMillis: UInt64) -> [RepairEffect] {
        // Every differing slice, with the task it belongs to, to find a key's replicas from its token.
        var slices: [TokenRange] = []
        var sliceTask: [Int] = []
        for (i, ranges) in differing.enumerated() {
            for range in ranges {
                slices.append(range)
                sliceTask.append(i)
            }
        }
        let index = TokenRangeIndex(slices)
        // Newest cell per key, and what each node holds.
        var newest: [[UInt8]: Cell] = [:]
        var held: [NodeID: [[UInt8]: Version]] = [:]
        for (node, list) in cells where !excluded.contains(node) {
            var mine: [[UInt8]: Version] = [:]
            mine.reserveCapacity(list.count)
            for entry in list {
                mine[entry.key] = entry.cell.version
                if let current = newest[entry.key], current.version >= entry.cell.version { continue }
                newest[entry.key] = entry.cell
            }
            held[node] = mine
        }
        var writes: [NodeID: [KeyCell]] = [:]
        for (key, cell) in newest {
            guard let slice = index.find(Murmur3.token(for: key)) else { continue }
            for node in tasks[sliceTask[slice]].replicas where held[node] != nil {
                if held[node]![key] != cell.version { writes[node, default: []].append(KeyCell(key: key, cell: cell)) }
            }
        }
        cells = [:]
        guard !writes.isEmpty else { return finish(nowMillis: nowMillis) }
        phase = .writes
        var effects: [RepairEffect] = []
        for node in writes.keys.sorted() {
            let list = writes[node]!.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            summary.cellsWritten += list.count
            outstanding[node] = nowMillis + options.requestTimeoutMillis
            effects.append(.writeCells(node: node, cells: list))
        }
        return effects
    }

    private mutating func finish(nowMillis: UInt64) -> [RepairEffect] {
        guard phase != .finished else { return [] }
        phase = .finished
        outstanding = [:]
        summary.durationMillis = nowMillis >= startMillis ? nowMillis - startMillis : 0
        return [.finished(summary)]
    }

    static func describe(millis: UInt64) -> String {
        let seconds = millis / 1000
        if seconds >= 86_400 { return "\(seconds / 86_400)d \((seconds % 86_400) / 3600)h" }
        if seconds >= 3600 { return "\(seconds / 3600)h \((seconds % 3600) / 60)m" }
        if seconds >= 60 { return "\(seconds / 60)m \(seconds % 60)s" }
        return "\(seconds)s"
    }
}
