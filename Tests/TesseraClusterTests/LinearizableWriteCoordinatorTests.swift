import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

/// The LINEARIZABLE (ABD) write: a majority version read, then a strict majority write of a higher version.
@Suite struct LinearizableWriteCoordinatorTests {
    static let wallNow: UInt64 = 1_767_225_600_000

    /// A coordinator whose version phase asks every live home replica at once (`readFanOut: .all`); the node's
    /// default, speculative fan-out is `theVersionPhaseAsksAMajorityFirstAndSparesOnlyWhenNeeded`.
    func node(fanOut: ReadFanOut = .all) -> NodeCoordinator {
        NodeCoordinator(
            selfID: n1, ring: Ring(members: [n1, n2, n3]),
            settings: CoordinatorSettings(replicationFactor: 3, readFanOut: fanOut)
        )
    }

    @Test func theVersionPhaseAsksAMajorityFirstAndSparesOnlyWhenNeeded() throws {
        var coordinator = node(fanOut: .speculative(afterNanos: 30_000_000))
        let issue: (Version?) -> Version = { coordinator.issueVersion(above: $0, wallMillis: Self.wallNow) }
        var w = try coordinator.beginLinearizableWrite(
            key: [1], value: [2], timeoutMillis: 500, alive: [n1, n2, n3], now: 0, wallMillis: Self.wallNow
        )
        let first = reads(w.start(now: 0))
        #expect(first.count == 2 && first.first == n1, "the coordinator itself and one more: \(first)")
        let ahead = cell(Self.wallNow + 50_000)
        _ = w.onVersionResponse(from: n1, version: nil, issueVersion: issue)
        let done = w.onVersionResponse(from: first[1], version: ahead.version, issueVersion: issue)
        #expect(Set(writes(done)) == [n1, n2, n3], "the write phase still goes to every live replica")
        #expect(try #require(w.cell).version > ahead.version)

        // A replica that fails: the spare is asked at once, and the majority is reached with it.
        var slow = try coordinator.beginLinearizableWrite(
            key: [1], value: [2], timeoutMillis: 500, alive: [n1, n2, n3], now: 0, wallMillis: Self.wallNow
        )
        let asked = reads(slow.start(now: 0))
        let spare = try #require(Set([n1, n2, n3]).subtracting(asked).first)
        #expect(reads(slow.onReadFailure(from: asked[1], error: connectionError)) == [spare])
        _ = slow.onVersionResponse(from: n1, version: nil, issueVersion: issue)
        #expect(!writes(slow.onVersionResponse(from: spare, version: nil, issueVersion: issue)).isEmpty)
    }

    func reads(_ effects: [LinearizableWriteEffect]) -> [NodeID] {
        effects.compactMap { if case .read(let node) = $0 { return node } else { return nil } }
    }

    func writes(_ effects: [LinearizableWriteEffect]) -> [NodeID] {
        effects.compactMap { if case .write(.send(let node)) = $0 { return node } else { return nil } }
    }

    @Test func theVersionIsAboveEverythingTheMajoritySawEvenWhenTheLocalClockIsFarBehind() throws {
        var coordinator = node()
        // Another coordinator's clock is an hour ahead: its version is far above this node's wall clock.
        let ahead = Version(timestamp: HLCTimestamp(physicalMillis: Self.wallNow + 3_600_000, logical: 7), node: 9)
        var w = try coordinator.beginLinearizableWrite(
            key: [1], value: Array("new".utf8), timeoutMillis: 500, alive: [n1, n2, n3], now: 0, wallMillis: Self.wallNow
        )
        let first = w.start(now: 0)
        #expect(Set(reads(first)) == [n1, n2, n3])
        #expect(writes(first).isEmpty && w.cell == nil)
        let issue: (Version?) -> Version = { coordinator.issueVersion(above: $0, wallMillis: Self.wallNow) }
        #expect(w.onVersionResponse(from: n2, version: ahead, issueVersion: issue) == [])
        let second = w.onVersionResponse(from: n3, version: cell(5).version, issueVersion: issue)
        #expect(Set(writes(second)) == [n1, n2, n3], "\(second)")
        let chosen = try #require(w.cell)
        #expect(chosen.version > ahead)
        #expect(chosen.version.node == n1.tag)
        #expect(chosen.value == Array("new".utf8))
        // A late version-phase answer changes nothing; the write phase succeeds on a majority of acks.
        #expect(w.onVersionResponse(from: n1, version: nil, issueVersion: issue) == [])
        #expect(w.onWriteAck(from: n1) == [])
        #expect(w.onWriteAck(from: n3) == [.write(.succeed(acks: 2))])
        #expect(w.isComplete)
        // The node's clock moved past the chosen version: its next version is higher still.
        #expect(coordinator.issueVersion(above: nil, wallMillis: Self.wallNow) > chosen.version)
    }

    @Test func twoWritesFromOneNodeThatSawTheSameVersionGetDistinctIncreasingVersions() throws {
        var coordinator = node()
        let seen = cell(Self.wallNow + 10_000)
        var versions: [Version] = []
        for _ in 0..<2 {
            var w = try coordinator.beginLinearizableWrite(
                key: [1], value: [2], timeoutMillis: 500, alive: [n1, n2, n3], now: 0, wallMillis: Self.wallNow
            )
            _ = w.start(now: 0)
            let issue: (Version?) -> Version = { coordinator.issueVersion(above: $0, wallMillis: Self.wallNow) }
            _ = w.onVersionResponse(from: n1, version: seen.version, issueVersion: issue)
            _ = w.onVersionResponse(from: n2, version: seen.version, issueVersion: issue)
            versions.append(try #require(w.cell).version)
        }
        #expect(versions[0] > seen.version && versions[1] > versions[0])
    }

    @Test func failsWithUnavailableSendingNothingWhenFewerThanAMajorityAreAlive() throws {
        var coordinator = node()
        var w = try coordinator.beginLinearizableWrite(
            key: [1], value: [2], timeoutMillis: 500, alive: [n1], now: 0, wallMillis: Self.wallNow
        )
        let effects = w.start(now: 0)
        #expect(effects.count == 1)
        guard case .write(.fail(let error)) = effects.first else {
            Issue.record("expected a failure, got \(effects)")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("LINEARIZABLE") && error.message.contains("nothing was written"), "\(error)")
        #expect(w.isComplete && w.cell == nil)
    }

    @Test func aMajorityLostInTheWritePhaseFailsAndTheDeadlineTimesTheVersionPhaseOut() throws {
        var coordinator = node()
        var w = try coordinator.beginLinearizableWrite(
            key: [1], value: [2], timeoutMillis: 100, alive: [n1, n2, n3], now: 0, wallMillis: Self.wallNow
        )
        _ = w.start(now: 0)
        let issue: (Version?) -> Version = { coordinator.issueVersion(above: $0, wallMillis: Self.wallNow) }
        _ = w.onVersionResponse(from: n1, version: nil, issueVersion: issue)
        _ = w.onVersionResponse(from: n2, version: nil, issueVersion: issue)
        #expect(w.onWriteFailure(from: n1, error: storageError) == [])
        let failed = w.onWriteFailure(from: n2, error: storageError)
        #expect(failed.contains { if case .write(.fail) = $0 { return true } else { return false } }, "\(failed)")

        var slow = try coordinator.beginLinearizableWrite(
            key: [1], value: [2], timeoutMillis: 100, alive: [n1, n2, n3], now: 0, wallMillis: Self.wallNow
        )
        _ = slow.start(now: 0)
        _ = slow.onVersionResponse(from: n1, version: nil, issueVersion: issue)
        #expect(slow.nextWakeup == 100_000_000)
        #expect(slow.onTick(now: 99_000_000) == [])
        let timedOut = slow.onTick(now: 100_000_000)
        guard case .write(.fail(let error)) = timedOut.first else {
            Issue.record("expected a timeout, got \(timedOut)")
            return
        }
        #expect(error.code == .timeout)
        #expect(slow.isComplete && slow.cell == nil && slow.nextWakeup == nil)
    }

    @Test func aSloppyLinearizableRequestIsRefusedWithAClearError() {
        var coordinator = node()
        #expect {
            _ = try coordinator.beginLinearizableWrite(
                key: [1], value: [2], timeoutMillis: 100, alive: [n1, n2, n3], now: 0, wallMillis: Self.wallNow,
                quorum: .sloppy
            )
        } throws: { error in
            guard let error = error as? TesseraError else { return false }
            return error.code == .invalidRequest && error.message.contains("strict majority")
        }
        #expect(throws: TesseraError.self) {
            _ = try coordinator.beginRead(
                key: [1], level: .linearizable, timeoutMillis: 100, alive: [n1, n2, n3], now: 0, quorum: .sloppy
            )
        }
        // Nothing was admitted.
        #expect(coordinator.inFlight == 0)
    }

    @Test func aLinearizableReadIsAMajorityReadThatWritesTheNewestValueBackBeforeAnswering() throws {
        var coordinator = node(fanOut: .nodeDefault)
        var r = try coordinator.beginRead(key: [1], level: .linearizable, timeoutMillis: 100, alive: [n1, n2, n3], now: 0)
        #expect(r.required == 2)
        let asked = r.start(now: 0).compactMap { if case .send(let node) = $0 { return node } else { return nil } }
        try #require(asked.count == 2)
        _ = r.onResponse(from: asked[0], cell: cell(20))
        let effects = r.onResponse(from: asked[1], cell: cell(10))
        #expect(effects == [.repair(to: asked[1], cell: cell(20))], "\(effects)")
        #expect(!r.isComplete)
        #expect(r.onRepairAck(from: asked[1]) == [.succeed(cell(20), responses: 2)])
    }

    @Test func theLevelParsesPrintsAndNeedsAMajority() throws {
        #expect(try ConsistencyLevel(parsing: "linearizable") == .linearizable)
        #expect(ConsistencyLevel.linearizable.description == "LINEARIZABLE")
        #expect(try ConsistencyLevel.linearizable.required(replicationFactor: 5) == 3)
        let wire = ConsistencyLevel.linearizable.wireCode
        #expect(wire.code == 6 && wire.code & QuorumMode.sloppyWireBit == 0)
        #expect(ConsistencyLevel(wireCode: wire.code, count: wire.count) == .linearizable)
    }
}
