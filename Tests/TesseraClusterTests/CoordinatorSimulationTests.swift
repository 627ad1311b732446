import Foundation
import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

/// Deterministic simulation of many coordinators: messages delivered in a seeded random order, dropped,
/// duplicated, failing, and arriving after the deadline or after completion. No sockets, no clocks.
/// `TESSERA_LONG_TESTS=1` runs 20x more rounds.
@Suite struct CoordinatorSimulationTests {
    static let rounds = ProcessInfo.processInfo.environment["TESSERA_LONG_TESTS"] == "1" ? 40_000 : 2_000
    static let names = (1...5).map { NodeID("r\($0)") }

    /// A pending event for one coordinator.
    enum Event {
        case ack(NodeID)
        case response(NodeID)
        case repairAck(NodeID)
        case failure(NodeID)
        case deadline
    }

    struct Queue {
        var events: [Event] = []
        /// Steps before the deadline may be delivered.
        var deadlineAfter: Int

        mutating func next(_ rng: inout SplitMix64, step: Int) -> Event? {
            guard !events.isEmpty else { return nil }
            var eligible = Array(events.indices)
            if step < deadlineAfter {
                eligible = eligible.filter { if case .deadline = events[$0] { return false } else { return true } }
                if eligible.isEmpty { eligible = Array(events.indices) }
            }
            let index = eligible[Int(rng.next() % UInt64(eligible.count))]
            return events.remove(at: index)
        }
    }

    static func chance(_ rng: inout SplitMix64, _ percent: UInt64) -> Bool { rng.next() % 100 < percent }

    static func setup(_ rng: inout SplitMix64) -> (replicas: [NodeID], alive: Set<NodeID>, required: Int) {
        let n = 1 + Int(rng.next() % 5)
        let replicas = Array(names.prefix(n))
        let required = 1 + Int(rng.next() % UInt64(n))
        var alive: Set<NodeID> = []
        for node in replicas where !chance(&rng, 15) { alive.insert(node) }
        return (replicas, alive, required)
    }

    @Test func writeCoordinatorsKeepTheirInvariants() {
        var rng = SplitMix64(seed: 0x7e55e7a)
        var outcomes: [String: Int] = [:]
        for round in 0..<Self.rounds {
            let (replicas, alive, required) = Self.setup(&rng)
            var w = WriteCoordinator(
                key: [1],
                cell: cell(UInt64(round)),
                replicas: replicas,
                alive: alive,
                required: required
            )
            var terminal: [WriteEffect] = []
            var ackedBeforeEnd: Set<NodeID> = []
            var failedBeforeEnd: Set<NodeID> = []
            var answered: Set<NodeID> = []
            var acked: Set<NodeID> = []
            var hinted: Set<NodeID> = []
            var queue = Queue(deadlineAfter: Int(rng.next() % 12))

            func record(_ effects: [WriteEffect]) {
                for effect in effects {
                    switch effect {
                    case .sendHinted:
                        Issue.record("a strict write sent a hinted write")
                    case .storeHint(let hint):
                        // One hint per home replica that was down or did not ack, never for one that acked.
                        #expect(replicas.contains(hint.target) && !acked.contains(hint.target) && !hinted.contains(hint.target))
                        hinted.insert(hint.target)
                    case .send(let node):
                        #expect(terminal.isEmpty && alive.contains(node) && replicas.contains(node))
                        // Each replica: ack, fail or stay silent; sometimes twice (duplicates).
                        for _ in 0..<(Self.chance(&rng, 20) ? 2 : 1) {
                            if Self.chance(&rng, 10) { continue }
                            queue.events.append(Self.chance(&rng, 15) ? .failure(node) : .ack(node))
                        }
                    case .succeed(let acks):
                        #expect(terminal.isEmpty, "second terminal effect")
                        #expect(acks >= required && acks == ackedBeforeEnd.count)
                        terminal.append(effect)
                    case .fail(let error):
                        #expect(terminal.isEmpty, "second terminal effect")
                        #expect(ackedBeforeEnd.count < required)
                        switch error.code {
                        case .unavailable:
                            #expect(replicas.filter(alive.contains).count < required)
                        case .timeout:
                            #expect(error.message.contains("may have been applied"))
                        default:
                            // Early failure: success had become impossible.
                            #expect(alive.intersection(replicas).count - failedBeforeEnd.count < required)
                            #expect(error.isIndeterminate || ackedBeforeEnd.isEmpty)
                        }
                        terminal.append(effect)
                    }
                }
            }

            record(w.start())
            queue.events.append(.deadline)
            var step = 0
            while let event = queue.next(&rng, step: step) {
                step += 1
                switch event {
                case .ack(let node):
                    if !w.isComplete && !answered.contains(node) { ackedBeforeEnd.insert(node) }
                    if !answered.contains(node) { acked.insert(node) }
                    answered.insert(node)
                    record(w.onAck(from: node))
                case .failure(let node):
                    if !w.isComplete && !answered.contains(node) { failedBeforeEnd.insert(node) }
                    answered.insert(node)
                    record(w.onFailure(from: node, error: storageError))
                case .deadline:
                    record(w.onDeadline())
                    #expect(w.isComplete)
                case .response, .repairAck:
                    break
                }
            }
            #expect(terminal.count == 1, "round \(round): \(terminal)")
            #expect(w.isComplete)
            // Once the deadline passed, every home replica that did not ack has its hint (unless nothing was sent).
            if case .fail(let e)? = terminal.first, e.code == .unavailable {
                #expect(hinted.isEmpty)
            } else {
                // (A hint may precede a late ack that arrived after the deadline, so "acked" can overlap.)
                #expect(Set(replicas).subtracting(acked).isSubset(of: hinted), "round \(round)")
            }
            switch terminal.first {
            case .succeed: outcomes["succeed", default: 0] += 1
            case .fail(let e): outcomes["\(e.code)", default: 0] += 1
            default: break
            }
        }
        // The mix of outcomes shows every path was exercised.
        #expect(outcomes["succeed", default: 0] > Self.rounds / 4)
        #expect(outcomes["timeout", default: 0] > 0)
        #expect(outcomes["unavailable", default: 0] > 0)
        #expect(outcomes["internalError", default: 0] + outcomes["storage", default: 0] > 0)
    }

    @Test func readCoordinatorsKeepTheirInvariants() {
        var rng = SplitMix64(seed: 0x5ead)
        var outcomes: [String: Int] = [:]
        var blockingSuccessesWithRepair = 0
        for round in 0..<Self.rounds {
            let (replicas, alive, required) = Self.setup(&rng)
            let blocking = ReadCoordinator.repairBlocks(required: required, replicationFactor: replicas.count)
            // What each replica stores: one of a few versions, or nothing.
            var stored: [NodeID: Cell?] = [:]
            for node in replicas {
                let pick = rng.next() % 4
                stored[node] = pick == 0 ? nil : cell(pick)
            }
            var r = ReadCoordinator(
                key: [1],
                replicas: replicas,
                alive: alive,
                required: required,
                blockingRepair: blocking
            )
            var terminal: [ReadEffect] = []
            var responseOrder: [NodeID] = []  // distinct responses delivered before completion
            var responseCell: [NodeID: Cell?] = [:]
            var repairedTo: Set<NodeID> = []
            var failedBeforeEnd: Set<NodeID> = []
            var queue = Queue(deadlineAfter: Int(rng.next() % 16))

            func record(_ effects: [ReadEffect]) {
                for effect in effects {
                    switch effect {
                    case .send(let node):
                        #expect(terminal.isEmpty && alive.contains(node) && replicas.contains(node))
                        for _ in 0..<(Self.chance(&rng, 20) ? 2 : 1) {
                            if Self.chance(&rng, 8) { continue }
                            queue.events.append(Self.chance(&rng, 10) ? .failure(node) : .response(node))
                        }
                    case .repair(let node, let repairCell):
                        // Only to a replica that answered with something older, at most once, with the answer.
                        #expect(!repairedTo.contains(node))
                        repairedTo.insert(node)
                        guard case .some(let answeredCell) = responseCell[node] else {
                            Issue.record("repair to \(node), which never answered")
                            continue
                        }
                        #expect(answeredCell == nil || answeredCell!.version < repairCell.version)
                        if !Self.chance(&rng, 10) {
                            queue.events.append(Self.chance(&rng, 10) ? .failure(node) : .repairAck(node))
                        }
                    case .succeed(let answer, let responses):
                        #expect(terminal.isEmpty, "second terminal effect")
                        #expect(responses >= required && responses <= responseOrder.count)
                        // The newest among the responses counted.
                        var newest: Cell? = nil
                        for node in responseOrder.prefix(responses) {
                            newest = Cell.newest(newest, responseCell[node]!)
                        }
                        #expect(answer == newest, "round \(round)")
                        if blocking, let answer {
                            // At least R replicas now hold the answer (or something newer).
                            let holding = replicas.filter { node in
                                guard let c = stored[node]!, c.version >= answer.version else { return false }
                                return true
                            }
                            #expect(holding.count >= required, "round \(round): only \(holding) hold \(answer)")
                        }
                        terminal.append(effect)
                    case .fail(let error):
                        #expect(terminal.isEmpty, "second terminal effect")
                        if error.code == .unavailable {
                            #expect(replicas.filter(alive.contains).count < required)
                        } else if error.code != .timeout && !blocking {
                            #expect(alive.intersection(replicas).count - failedBeforeEnd.count < required)
                        }
                        terminal.append(effect)
                    }
                }
            }

            record(r.start())
            queue.events.append(.deadline)
            var step = 0
            var repairedBeforeSuccess = false
            while let event = queue.next(&rng, step: step) {
                step += 1
                switch event {
                case .response(let node):
                    // The coordinator takes the first response of a node that has not failed before completion
                    // (after completion failures are ignored, so a later response still counts for repair).
                    if responseCell[node] == nil && !failedBeforeEnd.contains(node) {
                        responseCell[node] = .some(stored[node]!)
                        if !r.isComplete { responseOrder.append(node) }
                    }
                    record(r.onResponse(from: node, cell: stored[node]!))
                case .repairAck(let node):
                    // The replica applied the repair (newest wins), then acknowledged.
                    if case .some(.some(let winner)) = terminalAnswerOrPending(r, responseOrder, responseCell) {
                        stored[node] = Cell.newest(stored[node]!, winner)
                    }
                    if !r.isComplete { repairedBeforeSuccess = true }
                    record(r.onRepairAck(from: node))
                case .failure(let node):
                    if !r.isComplete && responseCell[node] == nil { failedBeforeEnd.insert(node) }
                    record(r.onFailure(from: node, error: storageError))
                case .deadline:
                    record(r.onDeadline())
                    #expect(r.isComplete)
                case .ack:
                    break
                }
            }
            #expect(terminal.count == 1, "round \(round): \(terminal)")
            switch terminal.first {
            case .succeed(let answer, _):
                outcomes["succeed", default: 0] += 1
                if blocking && repairedBeforeSuccess { blockingSuccessesWithRepair += 1 }
                // Monotonic quorum reads: a second read at the same blocking level sees nothing older.
                if blocking, 2 * required > replicas.count, let answer {
                    var second = ReadCoordinator(
                        key: [1],
                        replicas: replicas,
                        alive: Set(replicas),
                        required: required,
                        blockingRepair: true
                    )
                    var order = replicas
                    order.shuffle(using: &rng)
                    var result: Cell?? = nil
                    for effect in second.start() + order.flatMap({ second.onResponse(from: $0, cell: stored[$0]!) }) {
                        if case .succeed(let c, _) = effect { result = .some(c) }
                    }
                    if case .some(let c) = result { #expect(c.map { $0.version >= answer.version } == true) }
                }
            case .fail(let e): outcomes["\(e.code)", default: 0] += 1
            default: break
            }
        }
        #expect(outcomes["succeed", default: 0] > Self.rounds / 4)
        #expect(outcomes["timeout", default: 0] > 0)
        #expect(outcomes["unavailable", default: 0] > 0)
        #expect(blockingSuccessesWithRepair > 0)
    }

    /// The repair cell is the answer the coordinator fixed: the newest among the first R responses.
    func terminalAnswerOrPending(_ r: ReadCoordinator, _ order: [NodeID], _ cells: [NodeID: Cell?]) -> Cell?? {
        guard order.count >= r.required else { return nil }
        var newest: Cell? = nil
        for node in order.prefix(r.required) { newest = Cell.newest(newest, cells[node]!) }
        return .some(newest)
    }
}
