import Linearizability
import Testing

@Suite struct HistoryPairingTests {
    @Test func completionsPairWithTheLatestInvocationOfTheirProcess() throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(1))
        h.invoke(1, "read")
        h.ok(1, "read", .int(1))
        h.info(0, "write", .keyword("timed-out"))
        h.invoke(0, "write", .int(2))
        let ops = try History(events: h.events).operations
        #expect(ops.map(\.status) == [.info, .ok, .pending])
        #expect(ops[0].value == .int(1))
        #expect(ops[1].value == .int(1))
        #expect(ops[1].invokeLine == 2 && ops[1].completeLine == 3)
        #expect(ops[2].completeIndex == nil)
    }

    @Test func malformedPairingListsEveryProblemWithItsLine() {
        var h = CheckerTestHistory()
        h.ok(0, "write", .int(1))
        h.invoke(1, "read")
        h.invoke(1, "read")
        h.ok(1, "write", .int(2))
        #expect {
            _ = try History(events: h.events)
        } throws: { error in
            guard let e = error as? HistoryError else { return false }
            return e.problems.map(\.line) == [1, 3, 4]
        }
    }

    @Test func eventsWithTimesAreOrderedByTime() throws {
        let events = [
            HistoryEvent(process: 0, kind: .invoke, f: "write", value: .int(1), time: 10, line: 1),
            HistoryEvent(process: 1, kind: .invoke, f: "read", value: .null, time: 30, line: 2),
            HistoryEvent(process: 0, kind: .ok, f: "write", value: .int(1), time: 20, line: 3),
            HistoryEvent(process: 1, kind: .ok, f: "read", value: .int(1), time: 40, line: 4),
        ]
        let ops = try History(events: events).operations
        // The write completed (t=20) before the read started (t=30), whatever the line order.
        #expect(ops[0].completeIndex! < ops[1].invokeIndex)
    }

    @Test func modelIsInferredFromTheFunctions() throws {
        var h = CheckerTestHistory()
        h.op(0, "cas", .list([.int(1), .int(2)]))
        #expect(ModelKind.infer(from: try History(events: h.events).operations) == .casRegister)
        h.op(0, "append", .string("x"), key: "k")
        #expect(ModelKind.infer(from: try History(events: h.events).operations) == .kv)
    }
}
