import TesseraCluster
import TesseraCore
import Testing

@Suite struct ReadCoordinatorTests {
    func coordinator(alive: Set<NodeID> = Set(three), required: Int = 2, blocking: Bool? = nil) -> ReadCoordinator {
        ReadCoordinator(
            key: [1],
            replicas: three,
            alive: alive,
            required: required,
            blockingRepair: blocking ?? ReadCoordinator.repairBlocks(required: required, replicationFactor: 3),
            level: required == 2 ? .quorum : nil
        )
    }

    @Test func repairBlocksFromQuorumUp() {
        #expect(!ReadCoordinator.repairBlocks(required: 1, replicationFactor: 3))
        #expect(ReadCoordinator.repairBlocks(required: 2, replicationFactor: 3))
        #expect(ReadCoordinator.repairBlocks(required: 3, replicationFactor: 3))
        #expect(!ReadCoordinator.repairBlocks(required: 2, replicationFactor: 5))
        #expect(ReadCoordinator.repairBlocks(required: 3, replicationFactor: 5))
    }

    @Test func agreeingReplicasAnswerWithoutRepair() {
        var r = coordinator()
        #expect(r.start() == [.send(to: n1), .send(to: n2), .send(to: n3)])
        #expect(r.onResponse(from: n2, cell: cell(5)) == [])
        #expect(r.onResponse(from: n1, cell: cell(5)) == [.succeed(cell(5), responses: 2)])
        #expect(r.isComplete)
        #expect(r.onResponse(from: n3, cell: cell(5)) == [])
    }

    @Test func absentEverywhereIsNil() {
        var r = coordinator()
        _ = r.start()
        _ = r.onResponse(from: n1, cell: nil)
        #expect(r.onResponse(from: n3, cell: nil) == [.succeed(nil, responses: 2)])
    }

    @Test func newestVersionWinsWhateverTheOrder() {
        let cells: [NodeID: Cell?] = [n1: cell(3), n2: cell(9), n3: nil]
        for order in [[n1, n2, n3], [n3, n2, n1], [n2, n3, n1]] {
            var r = coordinator(required: 3, blocking: false)
            _ = r.start()
            var terminal: ReadEffect? = nil
            for node in order {
                for effect in r.onResponse(from: node, cell: cells[node]!) {
                    if case .succeed = effect { terminal = effect }
                }
            }
            #expect(terminal == .succeed(cell(9), responses: 3))
        }
    }

    @Test func tombstonesAreVersionsToo() {
        var r = coordinator(required: 2, blocking: false)
        _ = r.start()
        _ = r.onResponse(from: n1, cell: cell(3))
        let tomb = Cell.tombstone(version(7))
        #expect(r.onResponse(from: n2, cell: tomb) == [.repair(to: n1, cell: tomb), .succeed(tomb, responses: 2)])
    }

    @Test func backgroundRepairAnswersAtOnce() {
        var r = coordinator(required: 1)
        #expect(!r.blockingRepair)
        _ = r.start()
        #expect(r.onResponse(from: n1, cell: cell(4)) == [.succeed(cell(4), responses: 1)])
        // Late responses are compared with the answer: stale ones are repaired in the background.
        #expect(r.onResponse(from: n2, cell: cell(2)) == [.repair(to: n2, cell: cell(4))])
        #expect(r.onResponse(from: n3, cell: nil) == [.repair(to: n3, cell: cell(4))])
        #expect(r.onRepairAck(from: n2) == [])
    }

    @Test func aNewerLateResponseIsNotRepairedOver() {
        var r = coordinator(required: 1)
        _ = r.start()
        _ = r.onResponse(from: n1, cell: cell(4))
        #expect(r.onResponse(from: n2, cell: cell(8)) == [])
    }

    @Test func blockingRepairWaitsForTheStaleRespondersAck() {
        var r = coordinator(required: 2)
        #expect(r.blockingRepair)
        _ = r.start()
        #expect(r.onResponse(from: n1, cell: cell(2)) == [])
        #expect(r.onResponse(from: n2, cell: cell(6)) == [.repair(to: n1, cell: cell(6))])
        #expect(!r.isComplete)
        #expect(r.onRepairAck(from: n3) == [])  // no repair was sent to n3
        #expect(r.onRepairAck(from: n1) == [.succeed(cell(6), responses: 2)])
        #expect(r.isComplete)
        #expect(r.onResponse(from: n3, cell: nil) == [.repair(to: n3, cell: cell(6))])  // background now
    }

    @Test func blockingRepairCompletesWhenAThirdReplicaHoldsTheAnswer() {
        var r = coordinator(required: 2)
        _ = r.start()
        _ = r.onResponse(from: n1, cell: nil)
        #expect(r.onResponse(from: n2, cell: cell(6)) == [.repair(to: n1, cell: cell(6))])
        // n3 answers with the same version: two replicas now hold it.
        #expect(r.onResponse(from: n3, cell: cell(6)) == [.succeed(cell(6), responses: 2)])
        #expect(r.onRepairAck(from: n1) == [])
    }

    @Test func blockingRepairRepairsAStaleLateResponderAndCountsItsAck() {
        var r = coordinator(required: 3)
        _ = r.start()
        _ = r.onResponse(from: n1, cell: cell(1))
        _ = r.onResponse(from: n2, cell: cell(1))
        #expect(
            r.onResponse(from: n3, cell: cell(2)) == [
                .repair(to: n1, cell: cell(2)), .repair(to: n2, cell: cell(2)),
            ]
        )
        #expect(r.onRepairAck(from: n1) == [])
        #expect(r.onRepairAck(from: n1) == [])  // duplicate
        #expect(r.onRepairAck(from: n2) == [.succeed(cell(2), responses: 3)])
    }

    @Test func blockingRepairTimesOutWithAMessageNamingTheStaleReplica() {
        var r = coordinator(required: 2)
        _ = r.start()
        _ = r.onResponse(from: n1, cell: cell(2))
        _ = r.onResponse(from: n2, cell: cell(6))
        let effects = r.onDeadline()
        guard case .fail(let error) = effects.first, effects.count == 1 else {
            Issue.record("expected one failure, got \(effects)")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.message.contains("read repair of n1"))
        #expect(r.onRepairAck(from: n1) == [])
    }

    @Test func blockingRepairFailsEarlyWhenTheRepairFailsAndNoOneElseCanConfirm() {
        var r = coordinator(required: 2)
        _ = r.start()
        _ = r.onFailure(from: n3, error: connectionError)
        _ = r.onResponse(from: n1, cell: cell(2))
        _ = r.onResponse(from: n2, cell: cell(6))
        let effects = r.onFailure(from: n1, error: storageError)
        guard case .fail(let error) = effects.first, effects.count == 1 else {
            Issue.record("expected one failure, got \(effects)")
            return
        }
        #expect(error.message.contains("cannot confirm"))
        #expect(r.isComplete)
    }

    @Test func failsFastWithUnavailable() {
        var r = coordinator(alive: [n2], required: 2)
        let effects = r.start()
        guard case .fail(let error) = effects.first, effects.count == 1 else {
            Issue.record("expected one failure, got \(effects)")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("QUORUM read needs 2 replicas, 1 alive"))
    }

    @Test func failsEarlyWhenReplicaErrorsMakeSuccessImpossible() {
        var r = coordinator(required: 2)
        _ = r.start()
        _ = r.onResponse(from: n1, cell: cell(1))
        #expect(r.onFailure(from: n2, error: storageError) == [])
        let effects = r.onFailure(from: n3, error: storageError)
        guard case .fail(let error) = effects.first, effects.count == 1 else {
            Issue.record("expected one failure, got \(effects)")
            return
        }
        #expect(error.code == .storage)
        #expect(error.message.contains("1 of 2 responses received"))
        #expect(r.onResponse(from: n3, cell: cell(1)) == [])
    }

    @Test func timeoutSaysHowManyResponsesArrived() {
        var r = coordinator(required: 2)
        _ = r.start()
        _ = r.onResponse(from: n1, cell: cell(1))
        _ = r.onResponse(from: n1, cell: cell(1))  // duplicate
        let effects = r.onDeadline()
        guard case .fail(let error) = effects.first else {
            Issue.record("expected a failure, got \(effects)")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.message.contains("1 of 2 responses"))
        #expect(r.onResponse(from: n2, cell: cell(1)) == [])
    }
}
