import TesseraCluster
public import TesseraCore
import TesseraRing

/// A deterministic simulation of a Tessera cluster: `config.nodes` nodes, each a coordinator (the production
/// `NodeCoordinator`, `WriteCoordinator` and `ReadCoordinator`) and a replica with in-memory storage, talking
/// over a `SimulatedNetwork`; client processes run single-key register operations with unique written values
/// and the run records their history for the linearizability checker. Time is a `ManualClock`; every choice
/// (delays, drops, partitions, crashes, clock skew, operations) comes from `seed`, so a seed replays exactly.
///
/// Crashes keep storage (it models fsynced data) but lose the node's in-flight requests (their clients record
/// `info`) and its clock state.
public struct ClusterSimulator {
    /// Replica traffic.
    public enum Message: Sendable {
        case replicaWrite(op: Int, key: [UInt8], cell: Cell)
        case hintedWrite(op: Int, key: [UInt8], cell: Cell, home: NodeID)
        case writeAck(op: Int)
        case writeFailed(op: Int, error: TesseraError)
        case replicaRead(op: Int, key: [UInt8])
        case readResult(op: Int, cell: Cell?)
    }

    private enum Coordination {
        case write(WriteCoordinator)
        case linearizableWrite(LinearizableWriteCoordinator)
        case read(ReadCoordinator)
    }

    private struct InFlight {
        var coordination: Coordination
        var client: Int
        var incarnation: Int
        var completed = false
        var scheduledWakeup: UInt64?
    }

    private struct Node {
        var id: NodeID
        var coordinator: NodeCoordinator
        var store: [[UInt8]: Cell] = [:]
        /// The node's durable hint store.
        var hints: [Hint] = []
        var operations: [Int: InFlight] = [:]
        var incarnation = 0
        var skewMillis: Int64 = 0
    }

    private struct Client {
        var process: Int
        var remaining: Int
        /// The operation outstanding: (op id, node, f, key, value written).
        var current: (op: Int, node: Int, f: String, key: String, value: Int?)?
    }

    private enum Timer {
        case clientStart(Int)
        case wakeup(node: Int, op: Int, incarnation: Int)
        case partition
        case heal
        case crash(Int)
        case restart(Int)
    }

    public let seed: UInt64
    public let config: SimulationConfig
    private var rng: SplitMix64
    private var clock = ManualClock()
    private var network: SimulatedNetwork<Message>
    private var nodes: [Node] = []
    private var ids: [NodeID] = []
    private var clients: [Client] = []
    private var timers: [(at: UInt64, sequence: UInt64, timer: Timer)] = []
    private var timerSequence: UInt64 = 0
    private var nextOp = 1
    private var nextProcess = 0
    private var nextValue = 1
    private var result: SimulationResult
    private let ring: Ring
    /// Wall clock at simulated time 0 (2026-01-01), so versions look like real ones.
    private static let wallEpochMillis: UInt64 = 1_767_225_600_000

    public init(seed: UInt64, config: SimulationConfig) {
        self.seed = seed
        self.config = config
        self.rng = SplitMix64(seed: seed)
        self.network = SimulatedNetwork(seed: seed ^ 0x9E37_79B9_7F4A_7C15, faults: config.network)
        self.ids = (1...config.nodes).map { NodeID("s\($0)") }
        self.ring = Ring(members: ids, virtualNodes: 8)
        self.result = SimulationResult(seed: seed, history: [], acknowledgedWrites: [], stores: [:], replicas: [:])
        for id in ids {
            var node = Node(id: id, coordinator: makeCoordinator(id))
            if config.maxClockSkewMillis > 0 {
                let span = config.maxClockSkewMillis * 2 + 1
                node.skewMillis = Int64(rng.uniform(span)) - Int64(config.maxClockSkewMillis)
            }
            nodes.append(node)
        }
        for c in 0..<config.clients {
            clients.append(Client(process: nextProcess, remaining: config.operationsPerClient))
            nextProcess += 1
            schedule(.clientStart(c), at: rng.uniform(5_000_000))
        }
        let horizon = UInt64(config.operationsPerClient) * 20_000_000
        if config.partitions {
            var t = rng.uniform(20_000_000)
            while t < horizon {
                schedule(.partition, at: t)
                t += 10_000_000 + rng.uniform(80_000_000)
                schedule(.heal, at: t)
                t += 5_000_000 + rng.uniform(40_000_000)
            }
        }
        if config.crashes {
            var t = rng.uniform(30_000_000)
            while t < horizon {
                let victim = rng.below(config.nodes)
                schedule(.crash(victim), at: t)
                t += 5_000_000 + rng.uniform(60_000_000)
                schedule(.restart(victim), at: t)
                t += 5_000_000 + rng.uniform(40_000_000)
            }
        }
    }

    private func makeCoordinator(_ id: NodeID) -> NodeCoordinator {
        NodeCoordinator(
            selfID: id,
            ring: ring,
            settings: CoordinatorSettings(
                replicationFactor: config.replicationFactor,
                defaultTimeoutMillis: config.timeoutMillis,
                maxTimeoutMillis: config.timeoutMillis,
                readFanOut: config.readFanOut
            )
        )
    }

    /// Runs the whole simulation: every client operation, the faults, then heals, restarts every node and
    /// delivers every remaining message.
    public mutating func run() -> SimulationResult {
        while let time = nextEventTime() {
            clock.advance(to: time)
            fireTimers()
            while let envelope = network.deliver(upTo: clock.nanos) { receive(envelope) }
        }
        network.heal()
        for i in nodes.indices { network.restart(ids[i]) }
        while let time = network.nextDeliveryTime {
            clock.advance(to: time)
            while let envelope = network.deliver(upTo: clock.nanos) { receive(envelope) }
        }
        for node in nodes {
            var store: [String: Cell] = [:]
            for (key, cell) in node.store { store[String(decoding: key, as: UTF8.self)] = cell }
            result.stores[node.id] = store
            result.hints[node.id] = node.hints
        }
        for k in 0..<config.keys {
            let key = keyName(k)
            result.replicas[key] = ring.preferenceList(for: Array(key.utf8), replicationFactor: config.replicationFactor)
        }
        result.messagesDelivered = network.delivered
        result.messagesDropped = network.dropped
        return result
    }

    // MARK: time

    private mutating func schedule(_ timer: Timer, at time: UInt64) {
        timerSequence += 1
        timers.append((time, timerSequence, timer))
    }

    private func nextEventTime() -> UInt64? {
        var best = network.nextDeliveryTime
        for entry in timers where best == nil || entry.at < best! { best = entry.at }
        return best
    }

    private mutating func fireTimers() {
        while true {
            var index: Int? = nil
            for i in timers.indices where timers[i].at <= clock.nanos {
                if let j = index {
                    if (timers[i].at, timers[i].sequence) < (timers[j].at, timers[j].sequence) { index = i }
                } else {
                    index = i
                }
            }
            guard let i = index else { return }
            let timer = timers.remove(at: i).timer
            fire(timer)
        }
    }

    private mutating func fire(_ timer: Timer) {
        switch timer {
        case .clientStart(let c):
            startOperation(client: c)
        case .wakeup(let n, let op, let incarnation):
            guard nodes[n].incarnation == incarnation, var flight = nodes[n].operations[op] else { return }
            flight.scheduledWakeup = nil
            nodes[n].operations[op] = flight
            tick(node: n, op: op)
        case .partition:
            var side: Set<NodeID> = []
            for id in ids where rng.uniform(2) == 0 { side.insert(id) }
            network.heal()
            network.partition(side, from: ids)
        case .heal:
            network.heal()
        case .crash(let n):
            crash(n)
        case .restart(let n):
            network.restart(ids[n])
        }
    }

    private func wallMillis(_ n: Int) -> UInt64 {
        UInt64(Int64(Self.wallEpochMillis + clock.millis) + nodes[n].skewMillis)
    }

    // MARK: clients

    private func keyName(_ k: Int) -> String { "k\(k)" }

    private mutating func record(_ process: Int, _ type: String, _ f: String, _ key: String, _ value: Int?) {
        let valueText = value.map(String.init) ?? "null"
        result.history.append(
            "{\"process\":\(process),\"type\":\"\(type)\",\"f\":\"\(f)\",\"key\":\"\(key)\","
                + "\"value\":\(valueText),\"time\":\(clock.nanos)}"
        )
    }

    private mutating func startOperation(client c: Int) {
        guard clients[c].remaining > 0 else { return }
        clients[c].remaining -= 1
        let n = rng.below(config.nodes)
        let key = keyName(rng.below(config.keys))
        let isWrite = rng.uniform(100) < config.writePercent
        let op = nextOp
        nextOp += 1
        let value: Int? = isWrite ? nextValue : nil
        if isWrite { nextValue += 1 }
        let f = isWrite ? "write" : "read"
        clients[c].current = (op, n, f, key, value)
        record(clients[c].process, "invoke", f, key, value)
        if network.crashed.contains(ids[n]) {
            // Connection refused: certainly not applied.
            complete(client: c, type: "fail", readValue: nil)
            return
        }
        let alive = aliveView(from: n)
        let now = clock.nanos
        let keyBytes = Array(key.utf8)
        do throws(TesseraError) {
            if let value, config.writeLevel == .linearizable {
                var write = try nodes[n].coordinator.beginLinearizableWrite(
                    key: keyBytes,
                    value: Array(String(value).utf8),
                    timeoutMillis: config.timeoutMillis,
                    alive: alive,
                    now: now,
                    wallMillis: wallMillis(n),
                    quorum: config.quorum
                )
                let effects = write.start(now: now)
                nodes[n].operations[op] = InFlight(
                    coordination: .linearizableWrite(write), client: c, incarnation: nodes[n].incarnation
                )
                perform(effects, node: n, op: op)
            } else if let value {
                var write = try nodes[n].coordinator.beginWrite(
                    key: keyBytes,
                    value: Array(String(value).utf8),
                    level: config.writeLevel,
                    timeoutMillis: config.timeoutMillis,
                    alive: alive,
                    now: now,
                    wallMillis: wallMillis(n),
                    quorum: config.quorum
                )
                let effects = write.start()
                nodes[n].operations[op] = InFlight(coordination: .write(write), client: c, incarnation: nodes[n].incarnation)
                perform(effects, node: n, op: op)
            } else {
                var read = try nodes[n].coordinator.beginRead(
                    key: keyBytes,
                    level: config.readLevel,
                    timeoutMillis: config.timeoutMillis,
                    alive: alive,
                    now: now,
                    quorum: config.quorum
                )
                let effects = read.start(now: now)
                nodes[n].operations[op] = InFlight(coordination: .read(read), client: c, incarnation: nodes[n].incarnation)
                perform(effects, node: n, op: op)
            }
        } catch {
            complete(client: c, type: "fail", readValue: nil)
            return
        }
        scheduleWakeup(node: n, op: op)
    }

    /// What node `n`'s failure detector would say: reachable nodes, sometimes with one node misjudged.
    private mutating func aliveView(from n: Int) -> Set<NodeID> {
        var alive: Set<NodeID> = []
        for id in ids where network.canReach(ids[n], id) && network.canReach(id, ids[n]) { alive.insert(id) }
        if config.staleViewPercent > 0 && rng.uniform(100) < config.staleViewPercent {
            let other = ids[rng.below(ids.count)]
            if other != ids[n] {
                if alive.contains(other) { alive.remove(other) } else { alive.insert(other) }
            }
        }
        return alive
    }

    private mutating func complete(client c: Int, type: String, readValue: Int?) {
        guard let current = clients[c].current else { return }
        clients[c].current = nil
        let value = current.f == "write" ? current.value : readValue
        record(clients[c].process, type, current.f, current.key, type == "ok" ? value : current.value)
        switch type {
        case "ok": result.ok += 1
        case "fail": result.failed += 1
        default:
            result.indeterminate += 1
            // Jepsen: a process whose operation is in doubt is replaced by a fresh one.
            clients[c].process = nextProcess
            nextProcess += 1
        }
        schedule(.clientStart(c), at: clock.nanos + rng.uniform(3_000_000))
    }

    // MARK: coordinators

    private mutating func scheduleWakeup(node n: Int, op: Int) {
        guard var flight = nodes[n].operations[op], !flight.completed else { return }
        let wanted: UInt64?
        switch flight.coordination {
        case .write(let w): wanted = w.nextWakeup
        case .linearizableWrite(let w): wanted = w.nextWakeup
        case .read(let r): wanted = r.nextWakeup
        }
        guard let wanted, flight.scheduledWakeup.map({ wanted < $0 }) ?? true else { return }
        flight.scheduledWakeup = wanted
        nodes[n].operations[op] = flight
        schedule(.wakeup(node: n, op: op, incarnation: nodes[n].incarnation), at: wanted)
    }

    private mutating func tick(node n: Int, op: Int) {
        guard var flight = nodes[n].operations[op] else { return }
        switch flight.coordination {
        case .write(var w):
            let effects = w.onTick(now: clock.nanos)
            flight.coordination = .write(w)
            nodes[n].operations[op] = flight
            perform(effects, node: n, op: op)
        case .linearizableWrite(var w):
            let effects = w.onTick(now: clock.nanos)
            flight.coordination = .linearizableWrite(w)
            nodes[n].operations[op] = flight
            perform(effects, node: n, op: op)
        case .read(var r):
            let effects = r.onTick(now: clock.nanos)
            flight.coordination = .read(r)
            nodes[n].operations[op] = flight
            perform(effects, node: n, op: op)
        }
        scheduleWakeup(node: n, op: op)
    }

    private mutating func perform(_ effects: [WriteEffect], node n: Int, op: Int) {
        guard let flight = nodes[n].operations[op], case .write(let w) = flight.coordination else { return }
        carryOut(effects, key: w.key, cell: w.cell, required: w.required, node: n, op: op)
    }

    private mutating func perform(_ effects: [LinearizableWriteEffect], node n: Int, op: Int) {
        for effect in effects {
            guard let flight = nodes[n].operations[op], case .linearizableWrite(let w) = flight.coordination else { return }
            switch effect {
            case .read(let target):
                network.send(from: ids[n], to: target, .replicaRead(op: op, key: w.key), now: clock.nanos)
            case .write(let writeEffect):
                guard let cell = w.cell else {
                    // Only a failure can come before the version is chosen.
                    if case .fail(let error) = writeEffect {
                        finish(node: n, op: op, type: error.isIndeterminate ? "info" : "fail", readValue: nil)
                    }
                    continue
                }
                carryOut([writeEffect], key: w.key, cell: cell, required: w.required, node: n, op: op)
            }
        }
    }

    /// The write effects of a QUORUM-style or LINEARIZABLE write.
    private mutating func carryOut(_ effects: [WriteEffect], key: [UInt8], cell: Cell, required: Int, node n: Int, op: Int) {
        for effect in effects {
            switch effect {
            case .send(let target):
                network.send(from: ids[n], to: target, .replicaWrite(op: op, key: key, cell: cell), now: clock.nanos)
            case .sendHinted(let target, let home):
                network.send(
                    from: ids[n], to: target, .hintedWrite(op: op, key: key, cell: cell, home: home), now: clock.nanos
                )
            case .storeHint(let hint):
                nodes[n].hints.append(hint)
            case .succeed:
                let value = Int(String(decoding: cell.value ?? [], as: UTF8.self)) ?? -1
                result.acknowledgedWrites.append(
                    .init(key: String(decoding: key, as: UTF8.self), value: value, version: cell.version, required: required)
                )
                finish(node: n, op: op, type: "ok", readValue: nil)
            case .fail(let error):
                finish(node: n, op: op, type: error.isIndeterminate ? "info" : "fail", readValue: nil)
            }
        }
    }

    private mutating func perform(_ effects: [ReadEffect], node n: Int, op: Int) {
        guard let flight = nodes[n].operations[op], case .read(let r) = flight.coordination else { return }
        for effect in effects {
            switch effect {
            case .send(let target):
                network.send(from: ids[n], to: target, .replicaRead(op: op, key: r.key), now: clock.nanos)
            case .repair(let target, let cell):
                network.send(from: ids[n], to: target, .replicaWrite(op: op, key: r.key, cell: cell), now: clock.nanos)
            case .succeed(let cell, _):
                let value = cell?.value.flatMap { Int(String(decoding: $0, as: UTF8.self)) }
                finish(node: n, op: op, type: "ok", readValue: value)
            case .fail:
                // A read changes nothing: a failed read is certainly without effect.
                finish(node: n, op: op, type: "fail", readValue: nil)
            }
        }
    }

    private mutating func finish(node n: Int, op: Int, type: String, readValue: Int?) {
        guard var flight = nodes[n].operations[op], !flight.completed else { return }
        flight.completed = true
        nodes[n].operations[op] = flight
        complete(client: flight.client, type: type, readValue: readValue)
    }

    private mutating func crash(_ n: Int) {
        network.crash(ids[n])
        // The clients of the requests it was coordinating lose their connection: outcome unknown.
        for (_, flight) in nodes[n].operations.sorted(by: { $0.key < $1.key }) where !flight.completed {
            complete(client: flight.client, type: "info", readValue: nil)
        }
        nodes[n].operations = [:]
        nodes[n].incarnation += 1
        nodes[n].coordinator = makeCoordinator(ids[n])
    }

    // MARK: replicas

    private mutating func receive(_ envelope: SimulatedNetwork<Message>.Envelope) {
        guard let n = ids.firstIndex(of: envelope.to) else { return }
        let now = clock.nanos
        switch envelope.payload {
        case .replicaWrite(let op, let key, let cell):
            if config.storageErrorPercent > 0 && rng.uniform(100) < config.storageErrorPercent {
                let error = TesseraError(.storage, "simulated disk error on \(ids[n])")
                network.send(from: envelope.to, to: envelope.from, .writeFailed(op: op, error: error), now: now)
                return
            }
            nodes[n].coordinator.observe(cell.version, wallMillis: wallMillis(n))
            nodes[n].store[key] = Cell.newest(nodes[n].store[key], cell)
            network.send(from: envelope.to, to: envelope.from, .writeAck(op: op), now: now)
        case .hintedWrite(let op, let key, let cell, let home):
            nodes[n].coordinator.observe(cell.version, wallMillis: wallMillis(n))
            nodes[n].hints.append(Hint(target: home, key: key, cell: cell, createdMillis: wallMillis(n)))
            network.send(from: envelope.to, to: envelope.from, .writeAck(op: op), now: now)
        case .replicaRead(let op, let key):
            network.send(from: envelope.to, to: envelope.from, .readResult(op: op, cell: nodes[n].store[key]), now: now)
        case .writeAck(let op):
            answer(node: n, op: op, from: envelope.from) { coordination, from in
                switch coordination {
                case .write(var w):
                    let effects = w.onAck(from: from)
                    coordination = .write(w)
                    return .write(effects)
                case .linearizableWrite(var w):
                    let effects = w.onWriteAck(from: from)
                    coordination = .linearizableWrite(w)
                    return .linearizableWrite(effects)
                case .read(var r):
                    let effects = r.onRepairAck(from: from)
                    coordination = .read(r)
                    return .read(effects)
                }
            }
        case .writeFailed(let op, let error):
            answer(node: n, op: op, from: envelope.from) { coordination, from in
                switch coordination {
                case .write(var w):
                    let effects = w.onFailure(from: from, error: error)
                    coordination = .write(w)
                    return .write(effects)
                case .linearizableWrite(var w):
                    let effects = w.onWriteFailure(from: from, error: error)
                    coordination = .linearizableWrite(w)
                    return .linearizableWrite(effects)
                case .read(var r):
                    let effects = r.onFailure(from: from, error: error)
                    coordination = .read(r)
                    return .read(effects)
                }
            }
        case .readResult(let op, let cell):
            if let cell { nodes[n].coordinator.observe(cell.version, wallMillis: wallMillis(n)) }
            if var flight = nodes[n].operations[op], case .linearizableWrite(var w) = flight.coordination {
                let wall = wallMillis(n)
                var coordinator = nodes[n].coordinator
                let effects = w.onVersionResponse(from: envelope.from, version: cell?.version) { seen in
                    coordinator.issueVersion(above: seen, wallMillis: wall)
                }
                nodes[n].coordinator = coordinator
                flight.coordination = .linearizableWrite(w)
                nodes[n].operations[op] = flight
                perform(effects, node: n, op: op)
                scheduleWakeup(node: n, op: op)
                return
            }
            answer(node: n, op: op, from: envelope.from) { coordination, from in
                guard case .read(var r) = coordination else { return .read([]) }
                let effects = r.onResponse(from: from, cell: cell)
                coordination = .read(r)
                return .read(effects)
            }
        }
    }

    private enum Effects {
        case write([WriteEffect])
        case linearizableWrite([LinearizableWriteEffect])
        case read([ReadEffect])
    }

    /// Feeds a replica's answer to the coordination it belongs to (if the node still has it) and carries out
    /// the effects.
    private mutating func answer(
        node n: Int,
        op: Int,
        from: NodeID,
        _ step: (inout Coordination, NodeID) -> Effects
    ) {
        guard var flight = nodes[n].operations[op] else { return }
        let effects = step(&flight.coordination, from)
        nodes[n].operations[op] = flight
        switch effects {
        case .write(let list): perform(list, node: n, op: op)
        case .linearizableWrite(let list): perform(list, node: n, op: op)
        case .read(let list): perform(list, node: n, op: op)
        }
        scheduleWakeup(node: n, op: op)
    }
}
