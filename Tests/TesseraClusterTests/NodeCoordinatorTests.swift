import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

/// The decisions that moved out of the node shell: admission, versions, first wave and spares, deadlines.
@Suite struct NodeCoordinatorTests {
    let ms: UInt64 = 1_000_000

    func coordinator(_ settings: CoordinatorSettings = CoordinatorSettings(replicationFactor: 3)) -> NodeCoordinator {
        NodeCoordinator(selfID: n1, ring: Ring(members: [n1, n2, n3, n4]), settings: settings)
    }

    func sends(_ effects: [ReadEffect]) -> [NodeID] {
        effects.compactMap { if case .send(let n) = $0 { return n } else { return nil } }
    }

    @Test func aQuorumReadAsksItselfAndOneOtherFirstAndTheSpareAfterTheDelay() throws {
        var node = coordinator()
        // A key n1 is a home replica of.
        let key = (0..<1000).map { Array("k\($0)".utf8) }.first { node.replicas(for: $0).contains(n1) }!
        let replicas = node.replicas(for: key)
        var read = try node.beginRead(key: key, level: .quorum, timeoutMillis: 100, alive: Set(replicas), now: 1_000 * ms)
        let first = sends(read.start(now: 1_000 * ms))
        #expect(first.count == 2 && first.first == n1)
        #expect(read.spares.count == 1 && !first.contains(read.spares[0]))
        #expect(read.nextWakeup == 1_030 * ms)
        #expect(read.onTick(now: 1_029 * ms).isEmpty)
        #expect(sends(read.onTick(now: 1_030 * ms)) == replicas.filter { !first.contains($0) })
        #expect(read.spares.isEmpty && read.nextWakeup == 1_100 * ms)
        guard case .fail(let error)? = read.onTick(now: 1_100 * ms).last else {
            Issue.record("no timeout at the deadline")
            return
        }
        #expect(error.code == .timeout && read.isComplete && read.nextWakeup == nil)
        node.requestFinished()
        #expect(node.inFlight == 0)
    }

    @Test func aFailedReplicaReleasesTheSpareAtOnce() throws {
        var read = ReadCoordinator(
            key: [1], replicas: three, alive: Set(three), required: 2, blockingRepair: true,
            fanOut: .speculative(afterNanos: 30 * ms), preferred: n2, deadline: 100 * ms
        )
        #expect(sends(read.start(now: 0)) == [n2, n1])
        #expect(read.onResponse(from: n3, cell: cell(1)).isEmpty, "an answer from a replica not asked counts nothing")
        #expect(sends(read.onFailure(from: n1, error: storageError)) == [n3])
        let effects = read.onResponse(from: n2, cell: cell(5)) + read.onResponse(from: n3, cell: cell(5))
        #expect(effects == [.succeed(cell(5), responses: 2)])
    }

    @Test func aBusyReplicaGetsNoTimedSpareButStillOneAfterAFailure() throws {
        var read = ReadCoordinator(
            key: [1], replicas: three, alive: Set(three), required: 1, blockingRepair: false,
            fanOut: .speculative(afterNanos: 30 * ms), preferred: n1, deadline: 100 * ms, busy: [n2]
        )
        #expect(sends(read.start(now: 0)) == [n1])
        #expect(sends(read.onTick(now: 30 * ms)) == [n3], "the timed spare skips the busy n2")
        #expect(read.spares == [n2])
        #expect(sends(read.onFailure(from: n1, error: storageError)) == [n2], "a failure still asks n2")
    }

    @Test func theCoordinatorMarksReplicasWithManyOutstandingReadsBusyForSpares() throws {
        var node = coordinator()
        let key = (0..<1000).map { Array("k\($0)".utf8) }.first { node.replicas(for: $0).contains(n1) }!
        let peers = node.replicas(for: key).filter { $0 != n1 }
        for _ in 0..<ReadFanOut.spareOutstandingLimit { node.replicaReadSent(to: peers[0]) }
        var read = try node.beginRead(key: key, level: .one, timeoutMillis: 100, alive: Set(node.replicas(for: key)), now: 0)
        #expect(sends(read.start(now: 0)) == [n1])
        #expect(sends(read.onTick(now: 30 * ms)) == [peers[1]])
        // Once its reads are answered, the replica gets spares again.
        for _ in 0..<ReadFanOut.spareOutstandingLimit { node.replicaReadAnswered(by: peers[0], afterNanos: ms) }
        var next = try node.beginRead(key: key, level: .one, timeoutMillis: 100, alive: Set(node.replicas(for: key)), now: 0)
        _ = next.start(now: 0)
        #expect(Set(sends(next.onTick(now: 30 * ms))) == Set(peers))
    }

    @Test func writesGetStrictlyIncreasingVersionsPastEverythingObserved() throws {
        var node = coordinator()
        let a = try node.beginWrite(key: [1], value: [1], level: .one, timeoutMillis: 0, alive: [n1, n2, n3, n4], now: 0, wallMillis: 5_000)
        let b = try node.beginWrite(key: [1], value: [2], level: .one, timeoutMillis: 0, alive: [n1, n2, n3, n4], now: 0, wallMillis: 4_000)
        #expect(b.cell.version > a.cell.version && a.cell.version.node == n1.tag)
        let remote = Version(timestamp: HLCTimestamp(physicalMillis: 9_000, logical: 3), node: n2.tag)
        node.observe(remote, wallMillis: 5_000)
        let c = try node.beginWrite(key: [1], value: nil, level: .one, timeoutMillis: 0, alive: [n1], now: 0, wallMillis: 5_000)
        #expect(c.cell.version > remote && c.cell.isTombstone)
        // The default timeout applies to 0 and a large one is clamped.
        #expect(c.deadline == 2_000 * ms && node.timeoutNanos(requestedMillis: 999_999) == 60_000 * ms)
        #expect(node.inFlight == 3)
    }

    @Test func admissionRefusesWhileDrainingAndBadInputWithoutCountingIt() throws {
        var node = coordinator(CoordinatorSettings(replicationFactor: 3))
        #expect(throws: TesseraError.self) {
            try node.beginRead(key: [], level: .one, timeoutMillis: 0, alive: [n1], now: 0)
        }
        #expect(throws: TesseraError.self) {
            try node.beginRead(key: [1], level: .count(4), timeoutMillis: 0, alive: [n1], now: 0)
        }
        #expect(node.inFlight == 0)
        // No bound of its own (admission control is the node's one in-flight bound): both are admitted.
        _ = try node.beginRead(key: [1], level: .one, timeoutMillis: 0, alive: [n1], now: 0)
        _ = try node.beginRead(key: [1], level: .one, timeoutMillis: 0, alive: [n1], now: 0)
        #expect(node.inFlight == 2)
        node.requestFinished()
        node.requestFinished()
        node.startDraining()
        do {
            _ = try node.beginWrite(key: [1], value: [1], level: .one, timeoutMillis: 0, alive: [n1], now: 0, wallMillis: 1)
            Issue.record("admitted while draining")
        } catch {
            #expect(error.code == .overloaded && error.message.contains("shutting down"))
        }
    }
}
