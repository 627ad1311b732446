import Linearizability
import TesseraCore
import Testing

/// The read-mapping fast path against the search (and, on tiny histories, the brute-force checker): same verdict
/// on every generated unique-value history, valid and invalid, over few and many keys; the fast path's
/// linearizations replay and respect real time; its counterexamples are sound and render.
@Suite struct ReadMappingFastPathTests {
    static func options(fast: Bool, allKeys: Bool = true) -> CheckOptions {
        CheckOptions(model: .register, parallelism: 1, checkAllKeys: allKeys, readMappingFastPath: fast)
    }

    /// Every ok op of each linearizable key is in its linearization, which is a legal register run that
    /// respects real time (no op placed after one that completed before it was invoked).
    static func expectValidLinearizations(_ r: CheckResult, _ h: History, _ note: String) {
        for k in r.keys where k.verdict == .linearizable {
            let order = k.linearization ?? []
            let placed = Set(order)
            for id in k.operations where h.operations[id].status == .ok {
                let op = h.operations[id]
                if op.f == "read" || op.f == "write" {
                    #expect(placed.contains(id), "\(note): ok op \(op) missing from the linearization")
                }
            }
            var state: HistoryValue = .null
            var maxInvoke = -1
            for id in order {
                let op = h.operations[id]
                #expect(op.status != .fail, "\(note): failed op \(op) linearized")
                if let c = op.completeIndex, op.status == .ok {
                    #expect(c > maxInvoke, "\(note): \(op) placed after an op invoked after it completed")
                }
                maxInvoke = max(maxInvoke, op.invokeIndex)
                if op.f == "write" {
                    state = op.value
                } else {
                    #expect(op.value == state, "\(note): read \(op) in state \(state)")
                }
            }
        }
    }

    /// A violation's counterexample: a legal prefix, the failing op of that key, and for the fast path the
    /// conflicting ops are that key's and include the failing op and prefix.
    static func expectSoundCounterexamples(_ r: CheckResult, _ h: History, _ note: String) {
        for k in r.keys where k.verdict == .notLinearizable {
            guard let c = k.counterexample else {
                Issue.record("\(note): key \(k.key ?? "-") has no counterexample")
                continue
            }
            let ops = Set(k.operations)
            #expect(ops.contains(c.failingOperation), "\(note): failing op not of the key")
            var state: HistoryValue = .null
            for id in c.prefix {
                let op = h.operations[id]
                if op.f == "write" { state = op.value } else { #expect(op.value == state, "\(note): bad prefix") }
            }
            #expect(c.stateAfterPrefix == state.description, "\(note): state after the prefix")
            if c.failingOperationIllegalThere {
                let f = h.operations[c.failingOperation]
                #expect(f.f == "read" && f.value != state, "\(note): the failing op is legal after the prefix")
            }
            if k.method == .readMapping {
                let conflict = Set(c.conflictingOperations ?? [])
                #expect(!conflict.isEmpty && conflict.isSubset(of: ops), "\(note): conflicting ops")
                #expect(conflict.contains(c.failingOperation) && Set(c.prefix).isSubset(of: conflict), "\(note)")
            } else {
                #expect(c.conflictingOperations == nil)
            }
        }
    }

    static func generate(seed: UInt64, ops: Int, keys: Int, variant: Int) -> [HistoryEvent] {
        var rng = SplitMix64(seed: seed)
        let g = RegisterHistoryGenerator(
            operations: ops,
            keys: keys,
            processes: 2 + Int(seed % 5),
            readFraction: [0.5, 0.3, 0.8][Int(seed % 3)],
            crashFraction: [0.0, 0.05, 0.2][Int(seed / 3 % 3)],
            failFraction: 0.05,
            invalid: variant == 1,
            swaps: variant == 2 ? 1 + Int(seed % 3) : 0
        )
        return g.generate(using: &rng)
    }

    /// Hundreds of seeds: few keys and many, valid, certainly invalid (a read from the future) and swapped reads
    /// (either). Per key, the fast path and the search must agree; invalid ones must be not linearizable.
    @Test func fastPathAgreesWithTheSearchOnGeneratedHistories() throws {
        var counts = [0, 0]
        var fastKeys = 0
        for seed in UInt64(1)...360 {
            let variant = Int(seed % 3)
            let keys = seed % 4 == 0 ? 12 : 1 + Int(seed % 3)
            let events = Self.generate(seed: seed, ops: 20 + Int(seed * 7 % 140), keys: keys, variant: variant)
            let h = try History(events: events)
            let note = "seed \(seed) variant \(variant) keys \(keys)"
            let fast = try LinearizabilityChecker.check(h, options: Self.options(fast: true))
            let slow = try LinearizabilityChecker.check(h, options: Self.options(fast: false))
            #expect(fast.verdict == slow.verdict, "\(note)")
            #expect(fast.keys.map(\.verdict) == slow.keys.map(\.verdict), "\(note): per-key verdicts")
            #expect(fast.keys.allSatisfy { $0.method == .readMapping }, "\(note): unique values, fast path used")
            #expect(slow.keys.allSatisfy { $0.method == .search })
            if variant == 1 { #expect(fast.verdict == .notLinearizable, "\(note): invalid variant") }
            if variant == 0 { #expect(fast.verdict == .linearizable, "\(note): simulated from a register") }
            counts[fast.verdict == .linearizable ? 1 : 0] += 1
            fastKeys += fast.keys.count
            Self.expectValidLinearizations(fast, h, note)
            Self.expectSoundCounterexamples(fast, h, note)
            Self.expectSoundCounterexamples(slow, h, note)
            // The default (stop at the first bad key) gives the same overall verdict.
            let first = try LinearizabilityChecker.check(h, options: Self.options(fast: true, allKeys: false))
            #expect(first.verdict == fast.verdict, "\(note): without --all-keys")
        }
        #expect(counts[0] > 100 && counts[1] > 100, "verdict counts \(counts)")
    }

    /// Tiny unique-value histories: fast path, search and brute force all agree.
    @Test func fastPathAgreesWithBruteForceOnTinyHistories() throws {
        var counts = [0, 0]
        for seed in UInt64(1000)..<1600 {
            let events = Self.generate(seed: seed, ops: 3 + Int(seed % 5), keys: 1, variant: Int(seed % 3))
            let h = try History(events: events)
            let expected = BruteForceChecker.isLinearizable(h.operations, options: Self.options(fast: false))
            let fast = try LinearizabilityChecker.check(h, options: Self.options(fast: true))
            #expect(fast.verdict == (expected ? .linearizable : .notLinearizable), "seed \(seed): \(h.operations)")
            counts[expected ? 1 : 0] += 1
            Self.expectValidLinearizations(fast, h, "seed \(seed)")
            Self.expectSoundCounterexamples(fast, h, "seed \(seed)")
        }
        #expect(counts[0] > 50 && counts[1] > 50, "verdict counts \(counts)")
    }

    /// Each zone rule on a hand-made history, with the method the key was decided by.
    @Test func zoneRulesByHand() throws {
        func verdict(_ build: (inout CheckerTestHistory) -> Void) throws -> (Verdict, CheckMethod) {
            var h = CheckerTestHistory()
            build(&h)
            let r = try LinearizabilityChecker.check(History(events: h.events), options: Self.options(fast: true))
            return (r.verdict, r.keys[0].method)
        }
        // A read returns before its write is called.
        #expect(try verdict { h in h.op(0, "read", .null, .int(1)); h.op(0, "write", .int(1)) } == (.notLinearizable, .readMapping))
        // Two forward zones overlap: write 1, write 2, then a read of 1 and a read of 2.
        #expect(
            try verdict { h in
                h.op(0, "write", .int(1))
                h.op(0, "write", .int(2))
                h.op(1, "read", .null, .int(1))
                h.op(1, "read", .null, .int(2))
            } == (.notLinearizable, .readMapping)
        )
        // A backward zone (a lone write) inside a forward zone: write 1, write 2, read 1.
        #expect(
            try verdict { h in
                h.op(0, "write", .int(1))
                h.op(0, "write", .int(2))
                h.op(1, "read", .null, .int(1))
            } == (.notLinearizable, .readMapping)
        )
        // A backward zone (a lone write) inside the initial value's forward zone.
        #expect(try verdict { h in h.op(0, "write", .int(1)); h.op(1, "read", .null, .null) } == (.notLinearizable, .readMapping))
        // Concurrent writes seen in either order.
        #expect(
            try verdict { h in
                h.invoke(0, "write", .int(1))
                h.invoke(1, "write", .int(2))
                h.ok(0, "write", .int(1))
                h.ok(1, "write", .int(2))
                h.op(2, "read", .null, .int(1))
            } == (.linearizable, .readMapping)
        )
        // An info write seen later took effect; one never seen is dropped.
        #expect(
            try verdict { h in
                h.invoke(0, "write", .int(1))
                h.info(0, "write", .int(1))
                h.invoke(3, "write", .int(7))
                h.info(3, "write", .int(7))
                h.op(1, "read", .null, .int(1))
                h.op(1, "read", .null, .int(1))
            } == (.linearizable, .readMapping)
        )
        // A value nobody wrote.
        #expect(try verdict { h in h.op(0, "write", .int(1)); h.op(1, "read", .null, .int(5)) } == (.notLinearizable, .readMapping))
        // A value written twice: the search decides.
        #expect(
            try verdict { h in
                h.op(0, "write", .int(1))
                h.op(0, "write", .int(1))
                h.op(1, "read", .null, .int(1))
            } == (.linearizable, .search)
        )
    }

    /// A fast-path violation renders in text, JSON and the HTML timeline input, naming the conflicting ops.
    @Test func fastPathCounterexampleRenders() throws {
        let events = Self.generate(seed: 7, ops: 400, keys: 2, variant: 1)
        let h = try History(events: events)
        let r = try LinearizabilityChecker.check(h, options: Self.options(fast: true, allKeys: false))
        #expect(r.verdict == .notLinearizable)
        let c = try #require(r.counterexample)
        let conflict = try #require(c.conflictingOperations)
        let text = r.renderText(name: "gen")
        #expect(text.contains("Found from the read-mapping") && text.contains(h.operations[c.failingOperation].description))
        let json = r.renderJSON(file: "gen")
        #expect(json.contains("\"conflictingOps\":[" + conflict.map { String($0) }.joined(separator: ",") + "]"))
        #expect(json.contains("\"method\":\"read-mapping\""))
        let bad = r.timelines(name: "").first { $0.verdict == "not linearizable" }
        #expect(bad?.note?.contains("read-mapping") == true)
        #expect(bad?.ops.contains { $0.isFailing } == true)
    }
}
