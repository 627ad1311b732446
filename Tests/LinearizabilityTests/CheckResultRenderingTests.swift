import Linearizability
import Testing

@Suite struct CheckResultRenderingTests {
    static func staleRead() throws -> CheckResult {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        h.op(1, "write", .int(2))
        h.op(0, "read", .null, .int(1))
        return try h.check(.register)
    }

    @Test func textNamesTheFailingOperationAndThePrefixWithStates() throws {
        let text = try Self.staleRead().renderText(name: "h.jsonl")
        #expect(text.hasPrefix("h.jsonl: NOT LINEARIZABLE  (register, 3 ops, 1 key"))
        #expect(text.contains("p0 read 1 (ok, lines 5-6)"))
        #expect(text.contains("illegal in the state after the longest linearizable prefix: 2"))
        #expect(text.contains("1. p0 write 1 (ok, lines 1-2)  -> 1"))
        #expect(text.contains("2. p1 write 2 (ok, lines 3-4)  -> 2"))
    }

    @Test func jsonHasVerdictCountsAndCounterexample() throws {
        let json = try Self.staleRead().renderJSON(file: "a\"b.jsonl", extra: [("format", "\"jsonl\"")])
        #expect(json.hasPrefix("{\"file\":\"a\\\"b.jsonl\",\"valid\":false,\"format\":\"jsonl\",\"cause\":null"))
        #expect(json.contains("\"ops\":3,\"keys\":1,"))
        #expect(json.contains("\"failingOp\":{\"id\":2,\"process\":0,\"f\":\"read\",\"key\":null,\"value\":1"))
        #expect(json.contains("\"stateAfterPrefix\":\"2\""))
        #expect(!json.contains("\n"))
    }

    @Test func unknownVerdictIsAStringWithItsCause() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1))
        let r = try LinearizabilityChecker.check(
            History(events: h.events),
            options: CheckOptions(model: .register, timeout: .zero)
        )
        let json = r.renderJSON(file: "f")
        #expect(json.contains("\"valid\":\"unknown\",\"cause\":\"timed out after"))
        #expect(r.renderText(name: "f").contains("no verdict: timed out"))
    }

    @Test func timelinesMarkTheFailingOperationAndThePrefixOrder() throws {
        let r = try Self.staleRead()
        let t = r.timelines(name: "")
        #expect(t.count == 1)
        #expect(t[0].verdict == "not linearizable")
        #expect(t[0].ops.map(\.isFailing) == [false, false, true])
        #expect(t[0].ops.map(\.linearizedAt) == [0, 1, nil])
        #expect(t[0].ops.map(\.start) == [0, 2, 4])
        #expect(t[0].ops.map(\.end) == [1, 3, 5])
        let page = HTMLTimeline.render(t, title: "t")
        #expect(page.contains("<html"))
    }

    @Test func timelinesOfALinearizableHistoryCarryItsOrderAndFailedOps() throws {
        var h = CheckerTestHistory()
        h.invoke(0, "write", .int(1))
        h.invoke(1, "write", .int(2))
        h.ok(1, "write", .int(2))
        h.ok(0, "write", .int(1))
        h.invoke(2, "write", .int(3))
        h.fail(2, "write", .int(3))
        h.op(2, "read", .null, .int(2))
        let t = try h.check(.register).timelines(name: "x")
        #expect(t[0].key == "x")
        #expect(t[0].ops.map(\.linearizedAt) == [0, 1, nil, 2])
        #expect(t[0].ops.map(\.status) == [.ok, .ok, .fail, .ok])
    }
}
