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
        let partitions = try PartitionBuilder(options: options).build(history)
        let control = SearchControl(
            deadline: options.timeout.map { start + $0 }, memoryLimitBytes: options.memoryLimitBytes)

        // Largest partitions first, for load balance.
        let order = partitions.indices.sorted { partitions[$0].opIDs.count > partitions[$1].opIDs.count }
        let results = Mutex<[KeyResult?]>([KeyResult?](repeating: nil, count: partitions.count))
        let nextIndex = Atomic<Int>(0)
        let workers = min(options.parallelism, partitions.count)
        let work = { @Sendable in
            while true {
                let k = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
                if k >= order.count { break }
                let p = order[k]
                let r = checkPartition(partitions[p], control: control, options: options)
                if r.verdict == .notLinearizable && !options.checkAllKeys { control.stop(.cancelled) }
                results.withLock { $0[p] = r }
            }
        }
        if workers <= 1 {
            work()
        } else {
            DispatchQueue.concurrentPerform(iterations: workers) { _ in work() }
        }
        let keys = results.withLock { $0.map { $0! } }
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
        return CheckResult(
            verdict: verdict, options: options, keys: keys, operations: history.operations,
            seconds: (clock.now - start).seconds)
    }

    private static func checkPartition(_ p: Partition, control: SearchControl, options: CheckOptions) -> KeyResult {
        let clock = ContinuousClock()
        let start = clock.now
        var entries = 0
        let outcome: LinearizationSearch.Outcome
        if let reason = control.stopped {
            outcome = .stopped(reason)
        } else {
            switch p.model {
            case .single(var m):
                outcome = LinearizationSearch.run(
                    model: &m, invokePos: p.invokePos, returnPos: p.returnPos, control: control,
                    cacheEntries: &entries)
            case .composite(var m):
                outcome = LinearizationSearch.run(
                    model: &m, invokePos: p.invokePos, returnPos: p.returnPos, control: control,
                    cacheEntries: &entries)
            }
        }
        var result = KeyResult(
            key: p.key, verdict: .linearizable, operations: p.allOps, searchedOperations: p.opIDs.count,
            linearization: nil, counterexample: nil, cacheEntries: entries, seconds: 0)
        switch outcome {
        case .linearizable(let order):
            result.linearization = order.map { p.opIDs[Int($0)] }
        case .illegal(let prefix, let failing):
            result.verdict = .notLinearizable
            result.counterexample = Counterexample(
                key: p.key, failingOperation: p.opIDs[Int(failing)], prefix: prefix.map { p.opIDs[Int($0)] },
                stateAfterPrefix: p.describeState(after: prefix), prefixStates: p.describeStates(along: prefix),
                initialState: p.describeState(after: []),
                failingOperationIllegalThere: !p.isLegal(failing, after: prefix))
        case .stopped(let reason):
            switch reason {
            case .timeout: result.verdict = .unknown(.timeout(options.timeout ?? .zero))
            case .memory: result.verdict = .unknown(.memoryLimit(options.memoryLimitBytes))
            case .cancelled: result.verdict = .unknown(.notChecked)
            }
        }
        result.seconds = (clock.now - start).seconds
        return result
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
