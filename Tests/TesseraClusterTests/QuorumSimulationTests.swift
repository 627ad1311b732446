import Foundation
import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

/// A seeded simulation of one key on N replicas driven only through the coordinators: operations run one
/// after another, but messages of earlier operations (replications, reads, repairs, acks) keep arriving late,
/// in random order, duplicated or dropped, while later operations run. Replicas apply writes and repairs
/// when the message arrives (newest version wins) and acknowledge afterwards.
///
/// Checks the quorum guarantees of docs/consistency.md with R + W > N: a read that starts after a write
/// succeeded returns that write or a newer one, and blocking (QUORUM) reads never go back in time.
@Suite struct QuorumSimulationTests {
    static let rounds = ProcessInfo.processInfo.environment["TESSERA_LONG_TESTS"] == "1" ? 10_000 : 800

    enum Message {
        case replicate(op: Int, to: NodeID, cell: Cell)
        case writeAck(op: Int, from: NodeID)
        case read(op: Int, to: NodeID)
        case readResponse(op: Int, from: NodeID, cell: Cell?)
        case repair(op: Int, to: NodeID, cell: Cell)
        case repairAck(op: Int, from: NodeID)
    }

    enum Operation {
        case write(WriteCoordinator)
        case read(ReadCoordinator)
    }

    @Test func acknowledgedWritesAreSeenAndQuorumReadsAreMonotonic() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        var reads = 0
        var writes = 0
        for _ in 0..<Self.rounds {
            let n = [3, 5][Int(rng.next() % 2)]
            let replicas = (1...n).map { NodeID("q\($0)") }
            let quorum = n / 2 + 1
            // R + W > N and 2R > N for every pair we pick.
            let (w, r) = [(quorum, quorum), (n, quorum), (quorum, n)][Int(rng.next() % 3)]
            var stores: [NodeID: Cell?] = [:]
            for node in replicas { stores[node] = .some(nil) }
            var messages: [Message] = []
            var ops: [Int: Operation] = [:]
            var lastAcknowledged: Version? = nil
            var lastRead: Version? = nil

            func deliverOne() {
                guard !messages.isEmpty else { return }
                let message = messages.remove(at: Int(rng.next() % UInt64(messages.count)))
                if rng.next() % 100 < 5 { return }  // dropped
                if rng.next() % 100 < 10 { messages.append(message) }  // duplicated
                switch message {
                case .replicate(let op, let node, let cell):
                    stores[node] = .some(Cell.newest(stores[node]!, cell))
                    messages.append(.writeAck(op: op, from: node))
                case .writeAck(let op, let node):
                    guard case .write(var c) = ops[op] else { return }
                    let effects = c.onAck(from: node)
                    ops[op] = .write(c)
                    handleWrite(op, effects)
                case .read(let op, let node):
                    messages.append(.readResponse(op: op, from: node, cell: stores[node]!))
                case .readResponse(let op, let node, let cell):
                    guard case .read(var c) = ops[op] else { return }
                    let effects = c.onResponse(from: node, cell: cell)
                    ops[op] = .read(c)
                    handleRead(op, effects)
                case .repair(let op, let node, let cell):
                    stores[node] = .some(Cell.newest(stores[node]!, cell))
                    messages.append(.repairAck(op: op, from: node))
                case .repairAck(let op, let node):
                    guard case .read(var c) = ops[op] else { return }
                    let effects = c.onRepairAck(from: node)
                    ops[op] = .read(c)
                    handleRead(op, effects)
                }
            }

            func handleWrite(_ op: Int, _ effects: [WriteEffect]) {
                guard case .write(let c) = ops[op] else { return }
                for effect in effects {
                    switch effect {
                    case .send(let node): messages.append(.replicate(op: op, to: node, cell: c.cell))
                    case .succeed: lastAcknowledged = max(lastAcknowledged ?? .zero, c.cell.version)
                    case .fail: break
                    }
                }
            }

            func handleRead(_ op: Int, _ effects: [ReadEffect]) {
                for effect in effects {
                    switch effect {
                    case .send(let node): messages.append(.read(op: op, to: node))
                    case .repair(let node, let cell): messages.append(.repair(op: op, to: node, cell: cell))
                    case .succeed(let cell, _):
                        let seen = cell?.version ?? .zero
                        if let acknowledged = lastAcknowledged {
                            #expect(seen >= acknowledged, "read \(seen) after write \(acknowledged) was acknowledged")
                        }
                        if let previous = lastRead {
                            #expect(seen >= previous, "read went back from \(previous) to \(seen)")
                        }
                        lastRead = max(lastRead ?? .zero, seen)
                        reads += 1
                    case .fail: break
                    }
                }
            }

            for op in 0..<20 {
                let everyone = Set(replicas)
                if rng.next() % 2 == 0 {
                    var c = WriteCoordinator(
                        key: [7],
                        cell: cell(UInt64(op + 1)),
                        replicas: replicas,
                        alive: everyone,
                        required: w
                    )
                    let effects = c.start()
                    ops[op] = .write(c)
                    handleWrite(op, effects)
                    writes += 1
                } else {
                    var c = ReadCoordinator(
                        key: [7],
                        replicas: replicas,
                        alive: everyone,
                        required: r,
                        blockingRepair: true
                    )
                    let effects = c.start()
                    ops[op] = .read(c)
                    handleRead(op, effects)
                }
                // Run until this operation completes or its deadline passes; older messages keep flowing.
                let deadline = 5 + Int(rng.next() % 40)
                for _ in 0..<deadline {
                    deliverOne()
                    let complete: Bool
                    switch ops[op]! {
                    case .write(let c): complete = c.isComplete
                    case .read(let c): complete = c.isComplete
                    }
                    if complete { break }
                }
                switch ops[op]! {
                case .write(var c):
                    _ = c.onDeadline()
                    ops[op] = .write(c)
                case .read(var c):
                    let effects = c.onDeadline()
                    ops[op] = .read(c)
                    handleRead(op, effects)
                }
            }
        }
        #expect(reads > Self.rounds * 3)  // enough successful reads to mean something
        #expect(writes > Self.rounds * 5)
    }
}
