import Linearizability
import TesseraCore
import Testing

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
}
