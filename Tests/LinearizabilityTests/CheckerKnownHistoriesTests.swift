import Linearizability
import Testing

/// Hand-written histories whose verdicts are known.
@Suite struct CheckerKnownHistoriesTests {
    @Test func staleReadAfterCompletedWriteIsNotLinearizable() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        h.op(1, "write", .int(2))
        h.op(0, "read", .null, .int(1))
        let r = try h.check(.register)
        #expect(r.verdict == .notLinearizable)
        let c = try #require(r.counterexample)
        #expect(r.operations[c.failingOperation].f == "read")
        #expect(c.prefix == [0, 1])
        #expect(c.stateAfterPrefix == "2")
        #expect(c.failingOperationIllegalThere)
    }

    @Test func readOfTheLatestWriteIsLinearizable() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        h.op(1, "write", .int(2))
        h.op(0, "read", .null, .int(2))
        let r = try h.check(.register)
        #expect(r.verdict == .linearizable)
        #expect(r.keys[0].linearization == [0, 1, 2])
    }

    @Test(arguments: [Int64(1), 2])
    func concurrentWritesMayTakeEffectInEitherOrder(_ last: Int64) throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(1))
        h.invoke(1, "write", .int(2))
        h.ok(1, "write", .int(2))
        h.ok(0, "write", .int(1))
        h.op(2, "read", .null, .int(last))
        h.op(2, "read", .null, .int(last))
        #expect(try h.check(.register).verdict == .linearizable)
    }

    @Test func readsCannotSeeConcurrentWritesInBothOrders() throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(1))
        h.invoke(1, "write", .int(2))
        h.ok(1, "write", .int(2))
        h.ok(0, "write", .int(1))
        h.op(2, "read", .null, .int(1))
        h.op(2, "read", .null, .int(2))
        #expect(try h.check(.register).verdict == .notLinearizable)
    }

    @Test func infoWriteMayShowUpMuchLater() throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(7))
        h.info(0, "write", .keyword("timed-out"))
        for i in 0..<20 { h.op(1 + i % 3, "read", .null, .null) }
        h.op(5, "write", .int(3))
        h.op(6, "read", .null, .int(3))
        h.op(6, "read", .null, .int(7))
        #expect(try h.check(.register).verdict == .linearizable)
    }

    @Test func failedWriteNeverShowsUp() throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(7))
        h.fail(0, "write", .int(7))
        h.op(1, "read", .null, .int(7))
        let r = try h.check(.register)
        #expect(r.verdict == .notLinearizable)
        #expect(r.counterexample?.failingOperation == 1)
    }

    @Test func infoWriteMayNeverTakeEffect() throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(7))
        h.info(0, "write", .null)
        h.op(1, "read", .null, .null)
        h.op(1, "read", .null, .null)
        #expect(try h.check(.register).verdict == .linearizable)
    }

    @Test func infoWriteTakesEffectAtMostOnce() throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(7))
        h.info(0, "write", .null)
        h.op(1, "read", .null, .int(7))
        h.op(1, "write", .int(1))
        h.op(1, "read", .null, .int(7))
        #expect(try h.check(.register).verdict == .notLinearizable)
    }

    @Test func pendingOperationIsLikeInfo() throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(4))
        h.op(1, "read", .null, .int(4))
        #expect(try h.check(.register).verdict == .linearizable)
    }

    @Test func casSucceedingOnAValueNeverWrittenIsNotLinearizable() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        h.op(1, "cas", .list([.int(5), .int(6)]))
        let r = try h.check(.casRegister)
        #expect(r.verdict == .notLinearizable)
        #expect(r.counterexample?.failingOperation == 1)
    }

    @Test func casChainIsLinearizable() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        h.invoke(1, "cas", .list([.int(1), .int(2)]))
        h.invoke(2, "cas", .list([.int(2), .int(3)]))
        h.ok(2, "cas", .list([.int(2), .int(3)]))
        h.ok(1, "cas", .list([.int(1), .int(2)]))
        h.op(0, "read", .null, .int(3))
        #expect(try h.check(.casRegister).verdict == .linearizable)
    }

    @Test func initialValueOptionIsTheFirstState() throws {
        var h = CheckerTestHistory()
        h.op(0, "cas", .list([.int(0), .int(1)]))
        #expect(try h.check(.casRegister, initial: .int(0)).verdict == .linearizable)
        #expect(try h.check(.casRegister).verdict == .notLinearizable)
    }

    @Test func mutexDoubleAcquireIsNotLinearizable() throws {
        var h = CheckerTestHistory()
        h.op(0, "acquire")
        h.op(1, "acquire")
        let r = try h.check(.mutex)
        #expect(r.verdict == .notLinearizable)
        #expect(r.counterexample?.stateAfterPrefix == "held")
    }

    @Test func mutexAcquireReleaseAcquireIsLinearizable() throws {
        var h = CheckerTestHistory()
        h.op(0, "acquire")
        h.invoke(1, "acquire")
        h.op(0, "release")
        h.ok(1, "acquire")
        #expect(try h.check(.mutex).verdict == .linearizable)
    }

    @Test func nilReadFollowsTheChosenRule() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        h.op(1, "read", .null, .null)
        #expect(try h.check(.register).verdict == .notLinearizable)
        #expect(try h.check(.register, nilReadIsUnknown: true).verdict == .linearizable)
    }

    @Test func kvAppendsConcatenate() throws {
        var h = CheckerTestHistory()
        h.op(0, "append", .string("a"), key: "k")
        h.invoke(1, "append", .string("b"), key: "k")
        h.op(2, "get", .null, .string("ab"), key: "k")
        h.ok(1, "append", .string("b"), key: "k")
        h.op(2, "get", .null, .string(""), key: "j")
        #expect(try h.check(.kv).verdict == .linearizable)
        #expect(try h.check(.kv, split: false).verdict == .linearizable)
        h.op(2, "get", .null, .string("ba"), key: "k")
        let r = try h.check(.kv)
        #expect(r.verdict == .notLinearizable)
        #expect(r.counterexample?.key == "k")
        #expect(try h.check(.kv, split: false).verdict == .notLinearizable)
    }

    @Test func keysAreCheckedIndependently() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1), key: "x")
        h.op(0, "write", .int(2), key: "y")
        h.op(1, "read", .null, .int(1), key: "x")
        h.op(1, "read", .null, .int(2), key: "y")
        let r = try h.check(.register, parallelism: 2)
        #expect(r.verdict == .linearizable)
        #expect(r.keys.map(\.key) == ["x", "y"])
        #expect(r.keys.allSatisfy { $0.verdict == .linearizable })
    }

    @Test func multiRegisterTransactionsAreAtomic() throws {
        func txn(_ steps: [(String, String, HistoryValue)]) -> HistoryValue {
            .list(steps.map { .list([.keyword($0.0), .keyword($0.1), $0.2]) })
        }
        var h = CheckerTestHistory()
        h.op(0, "txn", txn([("w", "x", .int(1)), ("w", "y", .int(1))]))
        h.invoke(1, "txn", txn([("w", "x", .int(2)), ("w", "y", .int(2))]))
        h.invoke(2, "txn", txn([("r", "x", .null), ("r", "y", .null)]))
        h.ok(2, "txn", txn([("r", "x", .int(2)), ("r", "y", .int(2))]))
        h.ok(1, "txn", txn([("w", "x", .int(2)), ("w", "y", .int(2))]))
        #expect(try h.check(.multiRegister).verdict == .linearizable)
        h.op(2, "txn", txn([("r", "x", .int(2)), ("r", "y", .int(1))]))
        let r = try h.check(.multiRegister)
        #expect(r.verdict == .notLinearizable)
        #expect(r.counterexample?.key == "x,y")
    }

    @Test func operationsThatDoNotFitTheModelAreBadInput() throws {
        var h = CheckerTestHistory()
        h.op(0, "cas", .list([.int(1), .int(2)]))
        h.op(0, "frob", .int(1))
        #expect {
            _ = try h.check(.register)
        } throws: { error in
            guard let e = error as? HistoryError else { return false }
            return e.problems.map(\.line) == [1, 3] && e.problems[0].reason.contains("cas-register")
        }
    }

    @Test func timeoutGivesUnknownNotAVerdict() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        h.op(0, "read", .null, .int(2))
        let r = try LinearizabilityChecker.check(
            History(events: h.events),
            options: CheckOptions(model: .register, timeout: .zero)
        )
        #expect(r.verdict == .unknown(.timeout(.zero)))
    }

    @Test func memoryLimitGivesUnknownNotAVerdict() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        h.op(0, "read", .null, .int(1))
        let r = try LinearizabilityChecker.check(
            History(events: h.events),
            options: CheckOptions(model: .register, memoryLimitBytes: 1000)
        )
        #expect(r.verdict == .unknown(.memoryLimit(1000)))
        // The search alone too.
        let searched = try LinearizabilityChecker.check(
            History(events: h.events),
            options: CheckOptions(model: .register, memoryLimitBytes: 1000, readMappingFastPath: false)
        )
        #expect(searched.verdict == .unknown(.memoryLimit(1000)))
    }

    @Test func oneIllegalKeyStopsTheOthersUnlessAllKeysAreAsked() throws {
        var h = CheckerTestHistory()
        for k in 0..<8 {
            h.op(0, "write", .int(1), key: "k\(k)")
            h.op(1, "read", .null, .int(k == 0 ? 2 : 1), key: "k\(k)")
        }
        let r = try h.check(.register)
        #expect(r.verdict == .notLinearizable)
        let all = try LinearizabilityChecker.check(
            History(events: h.events),
            options: CheckOptions(model: .register, checkAllKeys: true)
        )
        #expect(all.keys.filter { $0.verdict == .linearizable }.count == 7)
        #expect(all.keys[0].verdict == .notLinearizable)
    }
}
