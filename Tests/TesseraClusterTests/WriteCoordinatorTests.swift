import TesseraCluster
import TesseraCore
import Testing

@Suite struct WriteCoordinatorTests {
    func coordinator(alive: Set<NodeID> = Set(three), required: Int = 2) -> WriteCoordinator {
        WriteCoordinator(key: [1], cell: cell(10), replicas: three, alive: alive, required: required, level: .quorum)
    }

    @Test func sendsToEveryLiveReplicaAndSucceedsOnTheWthAck() {
        var w = coordinator()
        #expect(w.start() == [.send(to: n1), .send(to: n2), .send(to: n3)])
        #expect(w.onAck(from: n2) == [])
        #expect(!w.isComplete)
        #expect(w.onAck(from: n3) == [.succeed(acks: 2)])
        #expect(w.isComplete)
        #expect(w.onAck(from: n1) == [])  // late ack: counted, no second terminal effect
        #expect(w.acks == 3)
        #expect(w.onDeadline() == [])
    }

    @Test func duplicateAcksCountOnce() {
        var w = coordinator()
        _ = w.start()
        #expect(w.onAck(from: n1) == [])
        #expect(w.onAck(from: n1) == [])
        #expect(!w.isComplete)
        #expect(w.onAck(from: NodeID("stranger")) == [])
        #expect(w.onAck(from: n2) == [.succeed(acks: 2)])
    }

    @Test func failsFastWithUnavailableWhenTooFewReplicasAreAlive() {
        var w = coordinator(alive: [n1, n4, n5])
        let effects = w.start()
        #expect(effects.count == 1)
        guard case .fail(let error) = effects.first else {
            Issue.record("expected a failure, got \(effects)")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("QUORUM write needs 2 replicas, 1 alive"))
        #expect(!error.isIndeterminate)
        #expect(w.isComplete)
        #expect(w.unreached == [n2, n3])
        #expect(w.onAck(from: n1) == [])
    }

    @Test func sendsOnlyToLiveReplicasWhenEnoughAreUp() {
        var w = coordinator(alive: [n1, n3])
        // Strict: the down home replica gets a coordinator hint, not counted.
        #expect(w.start() == [.send(to: n1), .send(to: n3), .storeHint(Hint(target: n2, key: w.key, cell: w.cell, createdMillis: 0))])
        #expect(w.unreached == [n2])
        #expect(w.onAck(from: n2) == [])  // never sent: ignored
        #expect(w.onAck(from: n1) == [])
        #expect(w.onAck(from: n3) == [.succeed(acks: 2)])
    }

    @Test func deadlineFailsWithAnIndeterminateTimeoutThatCountsAcks() {
        var w = coordinator()
        _ = w.start()
        _ = w.onAck(from: n1)
        let effects = w.onDeadline()
        // The replicas that did not ack get hints, then the write fails.
        #expect(effects.dropLast() == [n2, n3].map { .storeHint(Hint(target: $0, key: w.key, cell: w.cell, createdMillis: 0)) })
        guard case .fail(let error) = effects.last, effects.count == 3 else {
            Issue.record("expected one failure, got \(effects)")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.message.contains("1 of 2 acks received"))
        #expect(error.message.contains("the write may have been applied"))
        #expect(error.isIndeterminate)
        #expect(w.onAck(from: n2) == [])  // late ack after the deadline
        #expect(w.onDeadline() == [])
    }

    @Test func failsEarlyWhenReplicaErrorsMakeSuccessImpossible() {
        var w = coordinator(required: 2)
        _ = w.start()
        #expect(w.onFailure(from: n1, error: storageError) == [])
        let effects = w.onFailure(from: n2, error: storageError)
        guard case .fail(let error) = effects.first, effects.count == 1 else {
            Issue.record("expected one failure, got \(effects)")
            return
        }
        // n3 may still apply it: indeterminate.
        #expect(error.isIndeterminate)
        #expect(error.message.contains("0 of 2 acks"))
        #expect(error.message.contains("n1: storage: disk full"))
        #expect(error.message.contains("may have been applied"))
        // n3's late ack settles the hints: the two that failed get one each.
        #expect(w.onAck(from: n3) == [n1, n2].map { .storeHint(Hint(target: $0, key: w.key, cell: w.cell, createdMillis: 0)) })
    }

    @Test func aWriteEveryReplicaRefusedIsDeterminate() {
        var w = coordinator(required: 1)
        _ = w.start()
        _ = w.onFailure(from: n1, error: storageError)
        _ = w.onFailure(from: n2, error: storageError)
        let effects = w.onFailure(from: n3, error: storageError)
        guard case .fail(let error) = effects.first else {
            Issue.record("expected a failure, got \(effects)")
            return
        }
        #expect(error.code == .storage)
        #expect(!error.isIndeterminate)
        #expect(!error.message.contains("may have been applied"))
    }

    @Test func anAckAfterAFailureFromTheSameReplicaIsIgnored() {
        var w = coordinator(required: 2)
        _ = w.start()
        _ = w.onFailure(from: n1, error: storageError)
        #expect(w.onAck(from: n1) == [])
        #expect(w.acks == 0)
        #expect(w.onAck(from: n2) == [])
        #expect(w.onAck(from: n3) == [.succeed(acks: 2), .storeHint(Hint(target: n1, key: w.key, cell: w.cell, createdMillis: 0))])
    }

    @Test func eventsBeforeStartAreIgnored() {
        var w = coordinator()
        #expect(w.onAck(from: n1) == [])
        #expect(w.onDeadline() == [])
        #expect(!w.isComplete)
        #expect(w.start().count == 3)
        #expect(w.start() == [])
    }

    @Test func levelOneSucceedsOnTheFirstAck() {
        var w = WriteCoordinator(key: [1], cell: cell(1), replicas: three, alive: Set(three), required: 1)
        _ = w.start()
        #expect(w.onAck(from: n3) == [.succeed(acks: 1)])
    }
}
