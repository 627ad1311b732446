import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

/// Target choice of strict and sloppy writes, and the hints each emits.
@Suite struct QuorumModeTests {
    let five = [n1, n2, n3, n4, n5]

    func hints(_ effects: [WriteEffect]) -> [NodeID] {
        effects.compactMap { if case .storeHint(let h) = $0 { return h.target } else { return nil } }
    }

    @Test func sloppyReplacesEachDownHomeReplicaByTheNextLiveDistinctNode() {
        // Home n1 n2 n3; n2 and n3 down; n4 down too: stand-ins are n5 then nobody.
        var w = WriteCoordinator(
            key: [1], cell: cell(1), replicas: three, alive: [n1, n5], required: 2, level: .quorum,
            deadline: 100, mode: .sloppy, fallbacks: [n4, n5], createdMillis: 77
        )
        #expect(w.targets == [n1, n5] && w.standsInFor == [nil, n2])
        let start = w.start()
        #expect(start.contains(.send(to: n1)) && start.contains(.sendHinted(to: n5, home: n2)))
        // n3 has no stand-in: the coordinator keeps its hint.
        #expect(start.contains(.storeHint(Hint(target: n3, key: [1], cell: cell(1), createdMillis: 77))))
        #expect(w.onAck(from: n1).isEmpty)
        // The stand-in's ack counts toward W.
        #expect(w.onAck(from: n5) == [.succeed(acks: 2)])
        #expect(w.nextWakeup == nil)
    }

    @Test func sloppyWithoutEnoughStandInsIsUnavailableAndSendsNothing() {
        var w = WriteCoordinator(
            key: [1], cell: cell(1), replicas: three, alive: [n1], required: 2, mode: .sloppy, fallbacks: [n4, n5]
        )
        let effects = w.start()
        #expect(effects.count == 1 && w.isComplete)
        guard case .fail(let e) = effects[0] else {
            Issue.record("expected unavailable")
            return
        }
        #expect(e.code == .unavailable)
        #expect(w.onDeadline().isEmpty)
    }

    @Test func strictCountsOnlyHomeReplicasAndHintsTheDownAndTheSilent() {
        var w = WriteCoordinator(
            key: [1], cell: cell(1), replicas: three, alive: [n1, n2, n4, n5], required: 1, deadline: 500,
            fallbacks: [n4, n5]
        )
        let start = w.start()
        #expect(start.contains(.send(to: n1)) && start.contains(.send(to: n2)) && hints(start) == [n3])
        #expect(!start.contains { if case .sendHinted = $0 { return true } else { return false } })
        #expect(w.onAck(from: n1) == [.succeed(acks: 1)])
        // n2 has not answered: the write stays awake until the deadline to decide its hint.
        #expect(w.nextWakeup == 500)
        #expect(w.onTick(now: 499).isEmpty)
        #expect(hints(w.onTick(now: 500)) == [n2])
        #expect(w.nextWakeup == nil && w.onTick(now: 600).isEmpty)
    }

    @Test func aFailedStandInLeavesTheHintToTheCoordinator() {
        var w = WriteCoordinator(
            key: [1], cell: cell(1), replicas: three, alive: [n1, n2, n4], required: 2, deadline: 500,
            mode: .sloppy, fallbacks: [n4, n5]
        )
        _ = w.start()
        #expect(w.onAck(from: n1).isEmpty)
        #expect(w.onAck(from: n2) == [.succeed(acks: 2)])
        // Every target answered: hints are settled at once, for n3 (its stand-in n4 failed).
        #expect(hints(w.onFailure(from: n4, error: connectionError)) == [n3])
        #expect(w.nextWakeup == nil)
    }

    @Test func nodeCoordinatorTakesStandInsFromTheRingAfterTheHomeReplicas() throws {
        let ring = Ring(members: five)
        var node = NodeCoordinator(selfID: n1, ring: ring, settings: CoordinatorSettings(replicationFactor: 3))
        let key: [UInt8] = Array("some-key".utf8)
        let order = ring.preferenceList(for: key, replicationFactor: 5)
        let down = order[1]
        var alive = Set(five)
        alive.remove(down)
        let w = try node.beginWrite(
            key: key, value: [1], level: .quorum, timeoutMillis: 0, alive: alive, now: 0, wallMillis: 1, quorum: .sloppy
        )
        #expect(w.replicas == Array(order.prefix(3)))
        #expect(w.targets == [order[0], order[2], order[3]] && w.standsInFor == [nil, nil, down])
        let strict = try node.beginWrite(key: key, value: [1], level: .quorum, timeoutMillis: 0, alive: alive, now: 0, wallMillis: 1)
        #expect(strict.targets == [order[0], order[2]] && strict.mode == .strict)
    }

    @Test func quorumModesParseAndRefuseBadInput() throws {
        #expect(try QuorumMode(parsing: "SLOPPY") == .sloppy)
        #expect(try QuorumMode(parsing: "strict") == .strict)
        #expect(throws: TesseraError.self) { try QuorumMode(parsing: "loose") }
    }
}
