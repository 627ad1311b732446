import TesseraCore
import Linearizability
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fast checker against ``BruteForceChecker`` on thousands of random small histories per model, with info,
/// fail and pending operations. A mismatch names the seed that reproduces it. TESSERA_LONG_TESTS=1 runs 20,000
/// histories per shape with up to 9 operations.
@Suite struct CheckerCrossCheckTests {
    enum Shape: String, CaseIterable {
        case register, casRegister, kv, mutex, multiRegister, keyedRegister
    }

    /// Generates a random history: up to `count` ops by 3 processes; effects applied to a real state at
    /// completion (ok always, info half the time, fail never) and results sometimes corrupted.
    static func randomHistory(_ shape: Shape, seed: UInt64, count: Int) -> [HistoryEvent] {
        var rng = SplitMix64(seed: seed)
        var events: [HistoryEvent] = []
        var state: [String: HistoryValue] = [:]
        var outstanding: [Int: (f: String, key: String?, arg: HistoryValue)] = [:]
        var started = 0
        func val() -> HistoryValue { .int(Int64(rng.next() % 3)) }
        func emit(_ p: Int, _ kind: HistoryEvent.Kind, _ f: String, _ key: String?, _ v: HistoryValue) {
            events.append(HistoryEvent(process: p, kind: kind, f: f, key: key, value: v, line: events.count + 1))
        }
        func corrupt() -> Bool { rng.next() % 5 == 0 }
        while started < count || !outstanding.isEmpty {
            let p = Int(rng.next() % 3)
            if let op = outstanding[p] {
                if started >= count && rng.next() % 6 == 0 {
                    outstanding[p] = nil  // leave it pending
                    continue
                }
                let roll = rng.next() % 10
                let kind: HistoryEvent.Kind = roll < 7 ? .ok : roll < 9 ? .info : .fail
                let applies = kind == .ok || (kind == .info && rng.next() % 2 == 0)
                let k = op.key ?? "_"
                var result = op.arg
                switch op.f {
                case "read":
                    result = corrupt() ? val() : state[k] ?? .null
                case "write":
                    if applies { state[k] = op.arg }
                case "cas":
                    if case .list(let pair) = op.arg {
                        let cur = state[k] ?? .null
                        if cur == pair[0] || corrupt() {
                            if applies { state[k] = pair[1] }
                        } else if kind == .ok {
                            emit(p, .fail, op.f, op.key, op.arg)
                            outstanding[p] = nil
                            continue
                        }
                    }
                case "get":
                    if case .string(let s) = state[k] ?? .string("") { result = .string(corrupt() ? s + "z" : s) }
                case "put":
                    if applies { state[k] = op.arg }
                case "append":
                    if applies, case .string(let a) = op.arg, case .string(let s) = state[k] ?? .string("") {
                        state[k] = .string(s + a)
                    }
                case "acquire":
                    if state[k] == .bool(true) && !corrupt() && kind == .ok {
                        emit(p, .fail, op.f, op.key, op.arg)
                        outstanding[p] = nil
                        continue
                    }
                    if applies { state[k] = .bool(true) }
                case "release":
                    if applies { state[k] = .bool(false) }
                case "txn":
                    if case .list(let steps) = op.arg {
                        var out: [HistoryValue] = []
                        for s in steps {
                            guard case .list(let t) = s, case .keyword(let key) = t[1] else { continue }
                            if t[0] == .keyword("r") {
                                out.append(.list([t[0], t[1], corrupt() ? val() : state[key] ?? .null]))
                            } else {
                                if applies { state[key] = t[2] }
                                out.append(s)
                            }
                        }
                        result = .list(out)
                    }
                default: break
                }
                emit(p, kind, op.f, op.key, kind == .info ? .keyword("timed-out") : result)
                outstanding[p] = nil
            } else if started < count {
                started += 1
                let r = rng.next() % 3
                let key: String? = shape == .keyedRegister || shape == .kv ? (rng.next() % 2 == 0 ? "a" : "b") : nil
                let op: (f: String, key: String?, arg: HistoryValue)
                switch shape {
                case .register, .keyedRegister:
                    op = r == 0 ? ("read", key, .null) : ("write", key, val())
                case .casRegister:
                    op =
                        r == 0
                        ? ("read", key, .null) : r == 1 ? ("write", key, val()) : ("cas", key, .list([val(), val()]))
                case .kv:
                    op =
                        r == 0
                        ? ("get", key, .null)
                        : r == 1
                            ? ("put", key, .string(rng.next() % 2 == 0 ? "x" : "y"))
                            : ("append", key, .string(rng.next() % 2 == 0 ? "x" : "y"))
                case .mutex:
                    op = (r == 0 ? "release" : "acquire", nil, .null)
                case .multiRegister:
                    var steps: [HistoryValue] = []
                    for _ in 0..<(1 + Int(rng.next() % 2)) {
                        let key: HistoryValue = .keyword(rng.next() % 2 == 0 ? "x" : "y")
                        steps.append(
                            rng.next() % 2 == 0
                                ? .list([.keyword("r"), key, .null]) : .list([.keyword("w"), key, val()])
                        )
                    }
                    op = ("txn", nil, .list(steps))
                }
                outstanding[p] = op
                emit(p, .invoke, op.f, op.key, op.arg)
            }
        }
        return events
    }

    static func model(_ shape: Shape) -> ModelKind {
        switch shape {
        case .register, .keyedRegister: return .register
        case .casRegister: return .casRegister
        case .kv: return .kv
        case .mutex: return .mutex
        case .multiRegister: return .multiRegister
        }
    }

    @Test(arguments: Shape.allCases)
    func fastCheckerAgreesWithBruteForce(_ shape: Shape) throws {
        // TESSERA_LONG_TESTS=1: ten times more histories, up to 9 operations each.
        let long = getenv("TESSERA_LONG_TESTS") != nil
        let runs = long ? 20000 : 2000
        var verdicts = [0, 0]
        for i in 0..<runs {
            let seed = UInt64(i) &* 7919 &+ UInt64(shape.rawValue.count)
            let events = Self.randomHistory(shape, seed: seed, count: 4 + i % (long ? 6 : 4))
            let history = try History(events: events)
            for nilUnknown in [false, true] where nilUnknown == false || shape == .register {
                let options = CheckOptions(model: Self.model(shape), nilReadIsUnknown: nilUnknown, parallelism: 1)
                let expected = BruteForceChecker.isLinearizable(history.operations, options: options)
                verdicts[expected ? 1 : 0] += 1
                for split in [true, false] {
                    var o = options
                    o.splitByKey = split
                    let got = try LinearizabilityChecker.check(history, options: o)
                    #expect(
                        got.verdict == (expected ? .linearizable : .notLinearizable),
                        "seed \(seed) shape \(shape) split \(split) nilUnknown \(nilUnknown): \(history.operations)"
                    )
                    if let c = got.counterexample {
                        // The reported prefix must itself be a valid sequential run that respects real time.
                        var state: BruteForceChecker.State = [:]
                        for id in c.prefix {
                            let next = BruteForceChecker.step(state, history.operations[id], o)
                            #expect(next != nil, "seed \(seed): prefix is not a legal sequence")
                            state = next ?? state
                        }
                    }
                    for key in got.keys {
                        // Each key's linearization must be a legal sequential run without failed ops.
                        var state: BruteForceChecker.State = [:]
                        for id in key.linearization ?? [] {
                            let next = BruteForceChecker.step(state, history.operations[id], o)
                            #expect(next != nil && history.operations[id].status != .fail, "seed \(seed): bad order")
                            state = next ?? state
                        }
                    }
                }
            }
        }
        // Both verdicts must be well represented, or the cross-check proves little.
        #expect(verdicts[0] > runs / 10 && verdicts[1] > runs / 10, "verdict counts \(verdicts)")
        print("cross-check \(shape): \(verdicts[1]) linearizable, \(verdicts[0]) not")
    }
}
