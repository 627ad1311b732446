import Linearizability
import TesseraCore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `HistoryParser.loadHistory`: JSONL paired while it is read gives exactly the history of parsing the events and
/// pairing them afterwards (what `tessera check` did before), in every case the two paths differ in.
@Suite struct HistoryLoadingTests {
    /// A file of its own per test (the suites run in parallel).
    private static func withFile<T>(_ name: String, _ text: String, _ body: (String) throws -> T) throws -> T {
        let path = "/tmp/tessera-load-test-\(getpid())-\(name)"
        defer { unlink(path) }
        let f = try #require(fopen(path, "w"))
        let bytes = Array(text.utf8)
        let written = fwrite(bytes, 1, bytes.count, f)
        fclose(f)
        try #require(written == bytes.count)
        return try body(path)
    }

    private static func paired(_ path: String, _ format: HistoryFormat) throws -> History {
        try History(events: HistoryParser.parse(contentsOf: path, format: format).events)
    }

    /// Several MiB (lines crossing the 1 MiB chunks), crashes, failures and pending operations.
    @Test func streamedPairingGivesTheSameOperations() throws {
        var rng = SplitMix64(seed: 21)
        let g = RegisterHistoryGenerator(operations: 40_000, keys: 7, processes: 6, crashFraction: 0.05)
        let events = g.generate(using: &rng)
        var text = ""
        RegisterHistoryGenerator.appendJSONL(events, to: &text)
        #expect(text.utf8.count > 3 << 20)
        try Self.withFile("long.jsonl", text) { path in
            let expected = try History(events: events)
            #expect(expected.operations.contains { $0.status == .pending || $0.status == .info })
            for format in [HistoryFormat.auto, .jsonl] {
                let loaded = try HistoryParser.loadHistory(contentsOf: path, format: format)
                #expect(loaded.format == .jsonl && loaded.suggestedModel == nil)
                #expect(loaded.history.eventCount == events.count)
                #expect(loaded.history.operations == expected.operations)
            }
        }
    }

    /// Times that go backwards: the events are ordered by time before pairing, as `History(events:)` does.
    @Test func timesOutOfOrderAreOrderedBeforePairing() throws {
        let text = """
            {"process":0,"type":"invoke","f":"write","value":1,"time":10}
            {"process":1,"type":"invoke","f":"read","value":null,"time":30}
            {"process":0,"type":"ok","f":"write","value":1,"time":20}
            {"process":1,"type":"ok","f":"read","value":1,"time":40}

            """
        try Self.withFile("unordered.jsonl", text) { path in
            let loaded = try HistoryParser.loadHistory(contentsOf: path, format: .auto)
            let ops = loaded.history.operations
            #expect(ops == (try Self.paired(path, .auto)).operations)
            // The write completed (t=20) before the read started (t=30), whatever the line order.
            #expect(ops.count == 2 && ops[0].completeIndex! < ops[1].invokeIndex)
            #expect(ops[0].completeLine == 3 && ops[1].invokeLine == 2)
        }
    }

    /// Malformed lines are reported (all of them) instead of pairing problems; pairing problems come with their
    /// lines when the lines themselves are fine.
    @Test func malformedLinesWinOverPairingProblems() throws {
        let unpaired = """
            {"process":0,"type":"ok","f":"write","value":1}
            {"process":1,"type":"invoke","f":"read","value":null}
            {"process":1,"type":"invoke","f":"read","value":null}

            """
        try Self.withFile("unpaired.jsonl", unpaired) { path in
            #expect {
                _ = try HistoryParser.loadHistory(contentsOf: path, format: .auto)
            } throws: { error in
                (error as? HistoryError)?.problems.map(\.line) == [1, 3]
            }
        }
        try Self.withFile("malformed.jsonl", unpaired + "{\"process\":2,\"type\":\"bogus\",\"f\":\"read\"}\nnot json\n") {
            path in
            #expect {
                _ = try HistoryParser.loadHistory(contentsOf: path, format: .jsonl)
            } throws: { error in
                (error as? HistoryParseErrors)?.errors.map(\.line) == [4, 5]
            }
        }
    }

    /// Other formats are parsed whole and then paired, with their format's model.
    @Test func otherFormatsArePairedAfterParsing() throws {
        let edn = """
            {:type :invoke, :f :write, :value 3, :process 0}
            {:type :invoke, :f :read, :value nil, :process 1}
            {:type :ok, :f :write, :value 3, :process 0}
            {:type :info, :f :read, :value nil, :process 1}

            """
        try Self.withFile("h.edn", edn) { path in
            let loaded = try HistoryParser.loadHistory(contentsOf: path, format: .auto)
            #expect(loaded.format == .edn)
            #expect(loaded.history.operations.map(\.status) == [.ok, .info])
            #expect(loaded.history.operations == (try Self.paired(path, .auto)).operations)
        }
        let etcd = "INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]\nINFO  jepsen.util - 3\t:fail\t:cas\t[1 4]\n"
        try Self.withFile("etcd.log", etcd) { path in
            let loaded = try HistoryParser.loadHistory(contentsOf: path, format: .auto)
            #expect(loaded.format == .porcupineEtcd && loaded.suggestedModel == "cas-register")
            #expect(loaded.history.operations.map(\.status) == [.fail])
        }
    }

    /// Keys are built one at a time during the check, but every key's operations are validated before any is
    /// checked: bad input in two keys is reported in full even next to a key that is not linearizable.
    @Test func badInputInEveryKeyIsReportedBeforeAnyKeyIsChecked() throws {
        var h = CheckerTestHistory()
        h.op(0, "write", .int(1), key: "a")
        h.op(0, "read", .null, .int(2), key: "a")  // not linearizable
        h.op(1, "cas", .list([.int(1), .int(2)]), key: "b")
        for k in 0..<50 { h.op(2, "write", .int(Int64(k)), key: "k\(k)") }
        h.op(1, "frob", .int(1), key: "c")
        for parallelism in [1, 2] {
            #expect {
                _ = try LinearizabilityChecker.check(
                    History(events: h.events),
                    options: CheckOptions(model: .register, parallelism: parallelism)
                )
            } throws: { error in
                guard let e = error as? HistoryError else { return false }
                return e.problems.map(\.line) == [5, 107] && e.problems[0].reason.contains("cas-register")
            }
        }
    }
}
