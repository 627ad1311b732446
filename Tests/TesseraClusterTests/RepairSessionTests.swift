import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

/// Repair sessions driven against in-memory replicas (dictionaries), with manual time.
@Suite struct RepairSessionTests {
    typealias Replica = [[UInt8]: Cell]

    /// Carries out effects against `replicas` until the session finishes; `drop` nodes never answer.
    static func run(
        _ session: inout RepairSession,
        _ replicas: inout [NodeID: Replica],
        downtime: [NodeID: UInt64] = [:],
        silent: Set<NodeID> = [],
        now: UInt64 = 1_000
    ) -> (summary: RepairSummary, effects: [RepairEffect]) {
        var log: [RepairEffect] = []
        var work = session.start(nowMillis: now)
        var clock = now
        while session.phase != .finished {
            if work.isEmpty {
                clock += 100_000
                work = session.onTick(nowMillis: clock)
                continue
            }
            let effect = work.removeFirst()
            log.append(effect)
            switch effect {
            case .requestTrees(let node, let ranges, let depth):
                guard !silent.contains(node) else { continue }
                var forest = MerkleForest(ranges: ranges, depth: depth)
                for (key, cell) in replicas[node]! { forest.add(key: key, version: cell.version) }
                work += session.onTrees(from: node, trees: forest.finish(), downtimeMillis: downtime[node], nowMillis: clock)
            case .requestCells(let node, let ranges):
                let index = TokenRangeIndex(ranges)
                let cells = replicas[node]!.filter { index.contains(Murmur3.token(for: $0.key)) }.map { KeyCell(key: $0.key, cell: $0.value) }
                work += session.onCells(from: node, cells: cells, nowMillis: clock)
            case .writeCells(let node, let cells):
                for entry in cells where (replicas[node]![entry.key]?.version ?? .zero) < entry.cell.version {
                    replicas[node]![entry.key] = entry.cell
                }
                work += session.onWritten(by: node, nowMillis: clock)
            case .finished:
                break
            }
        }
        log += work
        guard case .finished(let summary)? = log.last else {
            Issue.record("the session ended without .finished")
            return (session.summary, log)
        }
        return (summary, log)
    }

    static func tasks(_ ring: Ring, local: NodeID, replicationFactor: Int = 3) -> [RepairTask] {
        TokenRange.ranges(of: ring).compactMap { range in
            let replicas = ring.preferenceList(forToken: range.end, replicationFactor: replicationFactor)
            return replicas.contains(local) ? RepairTask(range: range, replicas: replicas) : nil
        }
    }

    static let options = RepairSession.Options(depth: 6, requestTimeoutMillis: 5000, tombstoneGraceMillis: 864_000_000)

    @Test func replicasInSyncExchangeTreesOnly() {
        let ring = Ring(members: three, virtualNodes: 4)
        var replicas: [NodeID: Replica] = [:]
        for node in three {
            replicas[node] = Dictionary(uniqueKeysWithValues: (0..<300).map { (Array("k\($0)".utf8), cell(UInt64($0))) })
        }
        var session = RepairSession(tasks: Self.tasks(ring, local: n1), options: Self.options)
        let (summary, effects) = Self.run(&session, &replicas)
        #expect(summary.rangesDiffering == 0 && summary.cellsWritten == 0 && summary.isComplete)
        #expect(effects.filter { if case .requestTrees = $0 { true } else { false } }.count == 3)
        #expect(effects.count == 4)
    }

    @Test func aReplicaThatMissedWritesGetsExactlyThoseAndOthersGetItsNewerOnes() {
        let ring = Ring(members: three, virtualNodes: 4)
        var base: Replica = [:]
        for i in 0..<1000 { base[Array("k\(i)".utf8)] = cell(100) }
        var replicas: [NodeID: Replica] = [n1: base, n2: base, n3: base]
        // n3 missed 40 writes and 5 deletes; n2 holds 3 writes nobody else has.
        for i in 0..<40 {
            replicas[n1]![Array("k\(i)".utf8)] = cell(200)
            replicas[n2]![Array("k\(i)".utf8)] = cell(200)
        }
        for i in 40..<45 {
            replicas[n1]![Array("k\(i)".utf8)] = .tombstone(version(300))
            replicas[n2]![Array("k\(i)".utf8)] = .tombstone(version(300))
        }
        for i in 0..<3 { replicas[n2]![Array("new\(i)".utf8)] = cell(400) }
        var session = RepairSession(tasks: Self.tasks(ring, local: n1), options: Self.options)
        let (summary, effects) = Self.run(&session, &replicas)
        #expect(replicas[n1] == replicas[n2])
        #expect(replicas[n2] == replicas[n3])
        #expect(replicas[n3]![Array("k41".utf8)]?.isTombstone == true)
        var written: [NodeID: Int] = [:]
        for case .writeCells(let node, let cells) in effects { written[node] = cells.count }
        #expect(written == [n1: 3, n3: 48])
        #expect(summary.cellsWritten == 51 && summary.isComplete)
    }

    @Test func anOlderCellNeverOverwritesANewerOne() {
        let ring = Ring(members: three, virtualNodes: 2)
        let key = Array("x".utf8)
        var replicas: [NodeID: Replica] = [n1: [key: cell(5)], n2: [key: cell(9)], n3: [key: cell(7)]]
        var session = RepairSession(tasks: Self.tasks(ring, local: n2), options: Self.options)
        _ = Self.run(&session, &replicas)
        for node in three { #expect(replicas[node]![key] == cell(9)) }
    }

    @Test func aSilentReplicaIsReportedAndTheOthersAreStillRepaired() {
        let ring = Ring(members: three, virtualNodes: 4)
        var replicas: [NodeID: Replica] = [n1: [:], n2: [:], n3: [:]]
        for i in 0..<50 { replicas[n1]![Array("k\(i)".utf8)] = cell(1) }
        var session = RepairSession(tasks: Self.tasks(ring, local: n1), options: Self.options)
        let (summary, _) = Self.run(&session, &replicas, silent: [n3])
        #expect(summary.failed[n3]?.contains("no answer") == true)
        #expect(!summary.isComplete)
        #expect(replicas[n2]!.count == 50 && replicas[n3]!.isEmpty)
    }

    @Test func aReplicaDownLongerThanTheTombstoneGraceIsRefusedUnlessForced() {
        let ring = Ring(members: three, virtualNodes: 4)
        var replicas: [NodeID: Replica] = [n1: [:], n2: [:], n3: [:]]
        for i in 0..<50 { replicas[n3]![Array("zombie\(i)".utf8)] = cell(1) }  // deleted elsewhere, purged
        let grace: UInt64 = 3_600_000
        var session = RepairSession(
            tasks: Self.tasks(ring, local: n1),
            options: RepairSession.Options(depth: 6, tombstoneGraceMillis: grace)
        )
        let (summary, _) = Self.run(&session, &replicas, downtime: [n3: grace + 1])
        #expect(summary.refused[n3]?.contains("rebuild") == true)
        #expect(replicas[n1]!.isEmpty && replicas[n2]!.isEmpty)  // nothing resurrected
        var forced = RepairSession(
            tasks: Self.tasks(ring, local: n1),
            options: RepairSession.Options(depth: 6, tombstoneGraceMillis: grace, force: true)
        )
        let (forcedSummary, _) = Self.run(&forced, &replicas, downtime: [n3: grace + 1])
        #expect(forcedSummary.refused.isEmpty)
        #expect(replicas[n1]!.count == 50)
    }

    @Test func aSessionWithoutTasksFinishesAtOnce() {
        var session = RepairSession(tasks: [], options: Self.options)
        let effects = session.start(nowMillis: 5)
        #expect(effects.count == 1 && session.phase == .finished)
    }
}
