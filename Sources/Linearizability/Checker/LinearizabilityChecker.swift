import Dispatch
import Synchronization

/// Checks histories for linearizability against a model.
///
/// Keys are checked independently (P-compositionality: a history is linearizable iff each key's sub-history is),
/// the largest first, on `options.parallelism` threads. When one key is not linearizable the others stop early
/// (unless `checkAllKeys`). A timeout or the memory limit gives `unknown` with its cause, never a wrong verdict.
public enum LinearizabilityChecker {
    /// Checks `history` against `options.model`.
    /// - Throws: ``HistoryError`` when an operation does not fit the model (wrong function or value shape).
    public static func check(_ history: History, options: CheckOptions) throws(HistoryError) -> CheckResult {
        let clock = ContinuousClock()
        let start = clock.now
        let builder = PartitionBuilder(options: options)
        let plans = try builder.plan(history)
        let control = SearchControl(
            deadline: options.timeout.map { start + $0 },
            memoryLimitBytes: options.memoryLimitBytes,
            progress: options.progress
        )

        // Two rounds: first every key with a small step budget, largest first (most violations show up quickly,
        // and one violation settles the whole history), then the keys that used up their budget, without one.
        // Each key's partition is built by the thread that checks it and dropped afterwards (but for violations).
        let order = plans.indices.sorted { plans[$0].searchedCount > plans[$1].searchedCount }
        let results = Mutex<[KeyResult?]>([KeyResult?](repeating: nil, count: plans.count))
        let violations = Mutex<[(partition: Int, violation: Violation)]>([])
        let searched = plans.reduce(0) { $0 + $1.searchedCount }
        options.progress?.start(keys: plans.count, operations: searched)
        // Threads cost more than they save on small histories.
        let threads = searched < 1000 ? 1 : options.parallelism
        for budget in [Self.firstRoundSteps, Int.max] {
            let pending = results.withLock { r in order.filter { r[$0] == nil } }
            if pending.isEmpty { break }
            let nextIndex = Atomic<Int>(0)
            let work = { @Sendable in
                while true {
                    let k = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
                    if k >= pending.count { break }
                    let p = pending[k]
                    guard
                        let (r, violation) = checkPartition(
                            builder.partition(plans[p], of: history),
                            control: control,
                            options: options,
                            budget: budget
                        )
                    else { continue }
                    if let violation {
                        if !options.checkAllKeys { control.stop(.cancelled) }
                        violations.withLock { $0.append((p, violation)) }
                    }
                    results.withLock { $0[p] = r }
                    options.progress?.finished(operations: plans[p].searchedCount)
                }
            }
            let workers = min(threads, pending.count)
            if workers <= 1 {
                work()
            } else {
                DispatchQueue.concurrentPerform(iterations: workers) { _ in work() }
            }
        }
        var keys = results.withLock { $0.map { $0! } }
        var verdict = Verdict.linearizable
        for k in keys {
            if k.verdict == .notLinearizable {
                verdict = .notLinearizable
                break
            }
            if case .unknown(let cause) = k.verdict, cause != .notChecked, verdict == .linearizable {
                verdict = k.verdict
            }
        }
        let seconds = (clock.now - start).seconds
        // Describing counterexamples (model states as text) is reporting, not checking: done after the clock.
        for (index, v) in violations.withLock({ $0 }) {
            // The prefix and failing op are local indices of the partition searched: the key's, or the conflicting
            // clusters' the fast path found.
            let p = v.searched
            keys[index].counterexample = Counterexample(
                key: p.key,
                failingOperation: p.opIDs[Int(v.failing)],
                prefix: v.prefix.map { p.opIDs[Int($0)] },
                stateAfterPrefix: p.describeState(after: v.prefix),
                prefixStates: p.describeStates(along: v.prefix),
                initialState: p.describeState(after: []),
                failingOperationIllegalThere: !p.isLegal(v.failing, after: v.prefix),
                conflictingOperations: v.conflicting ? p.opIDs : nil
            )
        }
        return CheckResult(
            verdict: verdict,
            options: options,
            keys: keys,
            operations: history.operations,
            seconds: seconds
        )
    }

    /// Steps each key gets in the first round.
    static let firstRoundSteps = 50_000

    /// A violation: `prefix` and `failing` are local op indices of `searched`: the key's partition, or the
    /// conflicting clusters the fast path found (`conflicting`).
    struct Violation: Sendable {
        var searched: Partition
        var conflicting: Bool
        var prefix: [Int32]
        var failing: Int32
    }

    /// Checks one partition; nil when the step budget ran out.
    private static func checkPartition(
        _ p: Partition,
        control: SearchControl,
        options: CheckOptions,
        budget: Int
    ) -> (KeyResult, Violation?)? {
        let clock = ContinuousClock()
        let start = clock.now
        var entries = 0
        var result = KeyResult(
            key: p.key,
            verdict: .linearizable,
            operations: p.allOps,
            searchedOperations: p.opIDs.count,
            linearization: nil,
            counterexample: nil,
            cacheEntries: 0,
            seconds: 0
        )
        var violation: Violation?
        var outcome: LinearizationSearch.Outcome?
        // The fast path's tables: about 40 bytes per operation.
        let fastBytes = 40 * p.opIDs.count + 64
        if options.readMappingFastPath, control.shouldStop() == nil {
            if !control.reserve(bytes: fastBytes) {
                result.verdict = .unknown(.memoryLimit(options.memoryLimitBytes))
                result.seconds = (clock.now - start).seconds
                return (result, nil)
            }
            let fast = ReadMappingCheck.run(p)
            control.release(bytes: fastBytes)
            switch fast {
            case .notApplicable:
                break
            case .linearizable(let order):
                result.method = .readMapping
                outcome = .linearizable(order: order)
            case .illegal(let witness):
                // Search just the conflicting clusters for the counterexample. They cannot be linearizable; if
                // the search says they are, trust the search over the whole key instead.
                let sub = p.restricted(to: witness)
                let o = search(sub, control: control, entries: &entries, budget: Int.max)
                if case .illegal(let prefix, let failing) = o {
                    result.method = .readMapping
                    result.verdict = .notLinearizable
                    result.cacheEntries = entries
                    result.seconds = (clock.now - start).seconds
                    return (result, Violation(searched: sub, conflicting: true, prefix: prefix, failing: failing))
                }
                if case .stopped = o { outcome = o }
            }
        }
        switch outcome ?? search(p, control: control, entries: &entries, budget: budget) {
        case .linearizable(let order):
            result.linearization = order.map { p.opIDs[Int($0)] }
        case .illegal(let prefix, let failing):
            result.verdict = .notLinearizable
            violation = Violation(searched: p, conflicting: false, prefix: prefix, failing: failing)
        case .budgetExhausted:
            return nil
        case .stopped(let reason):
            switch reason {
            case .timeout: result.verdict = .unknown(.timeout(options.timeout ?? .zero))
            case .memory: result.verdict = .unknown(.memoryLimit(options.memoryLimitBytes))
            case .cancelled: result.verdict = .unknown(.notChecked)
            }
        }
        result.cacheEntries = entries
        result.seconds = (clock.now - start).seconds
        return (result, violation)
    }

    /// The WGL search over `p` (or the stop reason, when the check is already stopping).
    private static func search(
        _ p: Partition,
        control: SearchControl,
        entries: inout Int,
        budget: Int
    ) -> LinearizationSearch.Outcome {
        if let reason = control.stopped { return .stopped(reason) }
        func run<M: SearchModel>(_ m: inout M) -> LinearizationSearch.Outcome {
            LinearizationSearch.run(
                model: &m,
                invokePos: p.invokePos,
                returnPos: p.returnPos,
                control: control,
                cacheEntries: &entries,
                stepBudget: budget
            )
        }
        switch p.model {
        case .single(var m): return run(&m)
        case .composite(var m): return run(&m)
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
