import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

/// Idempotent retries in the coordinator state machines: a resent write (same client write id) gets the version
/// of its first attempt, so replicas that applied the first attempt apply nothing new and the key holds one write.
@Suite struct IdempotentWriteTests {
    static let wall: UInt64 = 1_767_225_600_000

    func node(_ id: NodeID = n1) -> NodeCoordinator {
        NodeCoordinator(selfID: id, ring: Ring(members: [n1, n2, n3]), settings: CoordinatorSettings(replicationFactor: 3))
    }

    /// Replicas as storage behaves: a cell is applied only if its version is newer (the first of equal versions
    /// stays). Returns how many replicas changed.
    struct Replicas {
        var cells: [NodeID: Cell] = [:]
        var applied = 0
        mutating func apply(_ cell: Cell, on nodes: [NodeID]) -> Int {
            var changed = 0
            for node in nodes where cells[node].map({ cell.version > $0.version }) ?? true {
                cells[node] = cell
                changed += 1
            }
            applied += changed
            return changed
        }
    }

    func sends(_ effects: [WriteEffect]) -> [NodeID] {
        effects.compactMap { if case .send(let node) = $0 { return node } else { return nil } }
    }

    @Test(arguments: [ConsistencyLevel.one, .quorum, .all])
    func aResentWriteGetsTheFirstVersionAndReplicasApplyNothingNew(level: ConsistencyLevel) throws {
        var coordinator = node()
        var replicas = Replicas()
        let id: UInt64 = 0xABCD
        var first = try coordinator.beginWrite(
            key: [7], value: [1], level: level, timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
            idempotency: IdempotentWrite(id: id)
        )
        let targets = sends(first.start())
        #expect(Set(targets) == Set(three))
        #expect(replicas.apply(first.cell, on: targets) == 3)
        // The reply was lost; the client resends later, when the coordinator's clock has moved on.
        var resent = try coordinator.beginWrite(
            key: [7], value: [1], level: level, timeoutMillis: 500, alive: Set(three), now: 1, wallMillis: Self.wall + 5_000,
            idempotency: IdempotentWrite(id: id, isResend: true)
        )
        #expect(resent.cell == first.cell, "the resend must carry the first attempt's version")
        #expect(replicas.apply(resent.cell, on: sends(resent.start())) == 0, "a replica that applied it applies nothing new")
        #expect(Set(replicas.cells.values) == [first.cell])
        // A write without an id is a new write: a new, higher version (what the retry avoids).
        let plain = try coordinator.beginWrite(
            key: [7], value: [1], level: level, timeoutMillis: 500, alive: Set(three), now: 2, wallMillis: Self.wall + 5_000
        )
        #expect(plain.cell.version > first.cell.version)
        #expect(replicas.apply(plain.cell, on: three) == 3)
    }

    @Test func aResendToACoordinatorThatDoesNotKnowTheIdIsRefusedAndNothingIsAdmitted() throws {
        var first = node(n1)
        var other = node(n2)
        _ = try first.beginWrite(
            key: [7], value: [1], level: .quorum, timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
            idempotency: IdempotentWrite(id: 42)
        )
        #expect(first.inFlight == 1)
        do {
            _ = try other.beginWrite(
                key: [7], value: [1], level: .quorum, timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
                idempotency: IdempotentWrite(id: 42, isResend: true)
            )
            Issue.record("a resend with an unknown id was admitted")
        } catch {
            #expect(error.code == .invalidRequest)
            #expect(error.message.contains("does not know write id"))
        }
        #expect(other.inFlight == 0)
        // A first attempt with an unknown id is a new write.
        let fresh = try other.beginWrite(
            key: [7], value: [1], level: .quorum, timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
            idempotency: IdempotentWrite(id: 43)
        )
        #expect(fresh.cell.version.node == n2.tag)
    }

    @Test func aResendThatCarriesItsVersionGetsItFromAnyCoordinator() throws {
        var first = node(n1)
        var other = node(n2)
        let w = try first.beginWrite(
            key: [7], value: [1], level: .quorum, timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall + 300,
            idempotency: IdempotentWrite(id: 42)
        )
        // n2's clock is 300 ms behind n1's; the resend still carries n1's version, and n2's clock observes it.
        let resent = try other.beginWrite(
            key: [7], value: [1], level: .quorum, timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
            idempotency: IdempotentWrite(id: 42, isResend: true, version: w.cell.version)
        )
        #expect(resent.cell == w.cell)
        #expect(other.issueVersion(above: nil, wallMillis: Self.wall) > w.cell.version)
        // A version beyond the maximum clock offset is refused, as on REPLICA_WRITE.
        let future = version(Self.wall + 3_600_000)
        #expect(throws: TesseraError.self) {
            _ = try other.beginWrite(
                key: [8], value: [1], level: .quorum, timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
                idempotency: IdempotentWrite(id: 44, isResend: true, version: future)
            )
        }
    }

    @Test func anIdKnownForAnotherKeyOrZeroIsRefused() throws {
        var coordinator = node()
        _ = try coordinator.beginWrite(
            key: [7], value: [1], level: .quorum, timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
            idempotency: IdempotentWrite(id: 42)
        )
        for (key, id) in [([UInt8]([8]), UInt64(42)), ([7], 0)] {
            do {
                _ = try coordinator.beginWrite(
                    key: key, value: [1], level: .quorum, timeoutMillis: 500, alive: Set(three), now: 0,
                    wallMillis: Self.wall, idempotency: IdempotentWrite(id: id, isResend: true)
                )
                Issue.record("key \(key) id \(id) was admitted")
            } catch {
                #expect(error.code == .invalidRequest)
            }
        }
    }

    @Test func theMemoryForgetsTheOldestIdWhenFull() {
        var memory = WriteVersionMemory(capacity: 2)
        memory.remember(1, key: [1], version: version(1))
        memory.remember(2, key: [2], version: version(2))
        memory.remember(1, key: [1], version: version(9))  // known: keeps the first version
        #expect(memory.lookup(1, key: [1]) == .known(version(1)))
        memory.remember(3, key: [3], version: version(3))
        #expect(memory.lookup(1, key: [1]) == .unknown)
        #expect(memory.lookup(2, key: [2]) == .known(version(2)))
        #expect(memory.lookup(3, key: [3]) == .known(version(3)))
        #expect(memory.lookup(3, key: [4]) == .otherKey)
        #expect(memory.count == 2)
    }

    /// The open-addressing table against a dictionary and a first-in-first-out list, over 20,000 ids that
    /// repeat and that differ only in their high bits (they would share a probe run without the mix): the
    /// same answer for every lookup, the same count.
    @Test(arguments: [UInt64(0), 0xDEAD_BEEF]) func theMemoryAgreesWithADictionaryModel(seed: UInt64) {
        var memory = WriteVersionMemory(capacity: 64, seed: seed)
        var model: [UInt64: (token: Int64, version: Version)] = [:]
        var order: [UInt64] = []
        var random = SplitMix64(seed: seed &+ 3)
        for step in 0..<20_000 {
            let id = (random.next() % 200 + 1) << 40
            let token = Int64(random.next() % 3)
            let expected: WriteVersionMemory.Lookup = model[id].map { $0.token == token ? .known($0.version) : .otherKey } ?? .unknown
            #expect(memory.lookup(id, keyToken: token) == expected, "step \(step)")
            if random.next() % 2 == 0 {
                memory.remember(id, keyToken: token, version: version(UInt64(step)))
                if model[id] == nil {
                    if order.count == 64 { model[order.removeFirst()] = nil }
                    order.append(id)
                    model[id] = (token, version(UInt64(step)))
                }
            }
            #expect(memory.count == model.count)
        }
    }

    // MARK: LINEARIZABLE

    func linearizableSends(_ effects: [LinearizableWriteEffect]) -> [NodeID] {
        effects.compactMap { if case .write(.send(let node)) = $0 { return node } else { return nil } }
    }

    @Test func aLinearizableResendSkipsTheVersionPhaseAndWritesTheFirstVersionAgain() throws {
        var coordinator = node()
        var replicas = Replicas()
        let id: UInt64 = 77
        var first = try coordinator.beginLinearizableWrite(
            key: [7], value: [1], timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
            idempotency: IdempotentWrite(id: id)
        )
        #expect(first.writeID == id)
        let asked = first.start(now: 0).compactMap { if case .read(let node) = $0 { return node } else { return nil } }
        #expect(asked.count == 2, "a majority first (the node's speculative fan-out)")
        let issue: (Version?) -> Version = {
            coordinator.issueVersion(above: $0, wallMillis: Self.wall, remembering: id, key: [7])
        }
        _ = first.onVersionResponse(from: asked[0], version: nil, issueVersion: issue)
        let phase2 = first.onVersionResponse(from: asked[1], version: nil, issueVersion: issue)
        let firstCell = try #require(first.cell)
        // The write reached one replica only, then the coordinator's answer was lost.
        #expect(replicas.apply(firstCell, on: [linearizableSends(phase2)[0]]) == 1)

        var resent = try coordinator.beginLinearizableWrite(
            key: [7], value: [1], timeoutMillis: 500, alive: Set(three), now: 10, wallMillis: Self.wall + 1_000,
            idempotency: IdempotentWrite(id: id, isResend: true)
        )
        let effects = resent.start(now: 10)
        #expect(!effects.contains { if case .read = $0 { return true } else { return false } }, "no second version phase")
        #expect(resent.cell == firstCell)
        let targets = linearizableSends(effects)
        #expect(Set(targets) == Set(three))
        #expect(replicas.apply(firstCell, on: targets) == 2, "only the replicas that missed it apply it")
        #expect(resent.onWriteAck(from: n1) == [])
        #expect(resent.onWriteAck(from: n3) == [.write(.succeed(acks: 2))])
        #expect(Set(replicas.cells.values) == [firstCell])
        #expect(replicas.applied == 3, "one write, applied once per replica")
    }

    @Test func aLinearizableResendOfAnUnknownIdIsRefused() {
        var coordinator = node()
        #expect(throws: TesseraError.self) {
            _ = try coordinator.beginLinearizableWrite(
                key: [7], value: [1], timeoutMillis: 500, alive: Set(three), now: 0, wallMillis: Self.wall,
                idempotency: IdempotentWrite(id: 5, isResend: true)
            )
        }
        #expect(coordinator.inFlight == 0)
    }
}
