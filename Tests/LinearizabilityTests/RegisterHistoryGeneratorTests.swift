import Linearizability
import TesseraCore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The history generator: deterministic per seed, well-formed, with the faults it promises, unique values, and
/// linearizable unless asked otherwise (checked by the search, not the fast path).
@Suite struct RegisterHistoryGeneratorTests {
    static func events(seed: UInt64, ops: Int = 2000, keys: Int = 4, invalid: Bool = false) -> [HistoryEvent] {
        var rng = SplitMix64(seed: seed)
        let g = RegisterHistoryGenerator(operations: ops, keys: keys, processes: 6, crashFraction: 0.05, invalid: invalid)
        return g.generate(using: &rng)
    }

    @Test func sameSeedSameHistoryOtherSeedOther() {
        #expect(Self.events(seed: 5) == Self.events(seed: 5))
        #expect(Self.events(seed: 5) != Self.events(seed: 6))
    }

    @Test func historyIsWellFormedWithFaultsAndUniqueValues() throws {
        let events = Self.events(seed: 11)
        let h = try History(events: events)
        #expect(h.operations.count == 2000)
        let statuses = Set(h.operations.map(\.status))
        #expect(statuses == [.ok, .info, .fail, .pending], "\(statuses)")
        #expect(Set(h.operations.compactMap(\.key)) == ["k0", "k1", "k2", "k3"])
        let written = h.operations.filter { $0.f == "write" }.map(\.invokeValue)
        #expect(Set(written).count == written.count)
        // Concurrency: some operation is invoked while another is open.
        var open = 0
        var maxOpen = 0
        for e in events {
            open += e.kind == .invoke ? 1 : -1
            maxOpen = max(maxOpen, open)
        }
        #expect(maxOpen >= 4)
        // Times strictly increase with the lines.
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.time! < $1.time! })
        // Round trip through JSONL.
        var text = ""
        RegisterHistoryGenerator.appendJSONL(events, to: &text)
        let parsed = try HistoryParser.parse(text: text, format: .jsonl, fileName: "gen")
        #expect(parsed.events == events)
    }

    @Test func validIsLinearizableInvalidIsNotBySearch() throws {
        for seed in UInt64(1)...10 {
            let options = CheckOptions(model: .register, parallelism: 1, readMappingFastPath: false)
            let ok = try LinearizabilityChecker.check(History(events: Self.events(seed: seed, ops: 200)), options: options)
            #expect(ok.verdict == .linearizable, "seed \(seed)")
            let bad = try LinearizabilityChecker.check(
                History(events: Self.events(seed: seed, ops: 60, keys: 1, invalid: true)),
                options: options
            )
            #expect(bad.verdict == .notLinearizable, "seed \(seed)")
        }
    }

    /// A file of several MiB is read a chunk at a time: the same events as parsing the text whole, lines
    /// crossing chunk boundaries included, and a malformed line far into the file reported with its number.
    @Test func streamedFileParsesLikeTheWholeText() throws {
        let events = Self.events(seed: 3, ops: 40_000)
        var text = ""
        RegisterHistoryGenerator.appendJSONL(events, to: &text)
        let path = "/tmp/tessera-gen-test-\(getpid()).jsonl"
        defer { unlink(path) }
        func write(_ s: String) throws {
            let f = try #require(fopen(path, "w"))
            let bytes = Array(s.utf8)
            #expect(fwrite(bytes, 1, bytes.count, f) == bytes.count)
            fclose(f)
        }
        try write(text)
        #expect(text.utf8.count > 3 << 20)
        for format in [HistoryFormat.auto, .jsonl] {
            let parsed = try HistoryParser.parse(contentsOf: path, format: format)
            #expect(parsed.events == events && parsed.format == .jsonl)
        }
        try write(text + "{\"process\":1,\"type\":\"bogus\",\"f\":\"read\"}\n")
        #expect {
            _ = try HistoryParser.parse(contentsOf: path, format: .auto)
        } throws: { error in
            (error as? HistoryParseErrors)?.errors.map(\.line) == [events.count + 1]
        }
    }
}
