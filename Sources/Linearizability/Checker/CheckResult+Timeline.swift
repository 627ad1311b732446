extension CheckResult {
    /// The HTML report's input: one ``Timeline`` per key, operations placed at their times (or event positions
    /// when the history has no times), with their linearization positions (the order of a linearizable key, or
    /// the longest linearizable prefix of a violating one) and the failing operation marked.
    public func timelines(name: String) -> [Timeline] {
        let useTimes = operations.allSatisfy { $0.invokeTime != nil }
        return keys.map { k in
            var position: [Int: Int] = [:]
            let order = k.linearization ?? k.counterexample?.prefix ?? []
            for (i, id) in order.enumerated() { position[id] = i }
            let failing = k.counterexample?.failingOperation
            let ops = k.operations.map { id -> TimelineOp in
                let op = operations[id]
                let start = useTimes ? op.invokeTime! : Int64(op.invokeIndex)
                let end: Int64? = useTimes ? op.completeTime : op.completeIndex.map { Int64($0) }
                let status: TimelineOp.Status
                let result: String
                switch op.status {
                case .ok:
                    status = .ok
                    result = op.completionValue.map(\.description) ?? "ok"
                case .fail:
                    status = .fail
                    result = "fail (not applied)"
                case .info:
                    status = .info
                    result = "unknown (info)"
                case .pending:
                    status = .info
                    result = "never completed"
                }
                var label = op.f
                if let key = op.key, keys.count == 1 { label += " " + key }
                if op.invokeValue != .null { label += " " + op.invokeValue.description }
                return TimelineOp(
                    process: op.process,
                    start: start,
                    end: end,
                    label: label,
                    result: result,
                    status: status,
                    linearizedAt: position[id],
                    isFailing: id == failing
                )
            }
            var note: String?
            if let c = k.counterexample {
                note =
                    "Could not linearize \(operations[c.failingOperation]) after the longest linearizable "
                    + "prefix of \(c.prefix.count) ops (state there: \(c.stateAfterPrefix))."
                    + (c.conflictingOperations.map {
                        " Found from the read-mapping: the \($0.count) conflicting ops are not linearizable on their own; "
                            + "the prefix is over just them."
                    } ?? "")
            } else if case .unknown(let cause) = k.verdict {
                note = "No verdict: \(cause)."
            }
            let keyName = k.key.map { name.isEmpty ? $0 : "\(name): \($0)" } ?? (name.isEmpty ? nil : name)
            return Timeline(key: keyName, verdict: CheckResult.words(k.verdict), ops: ops, note: note)
        }
    }
}
