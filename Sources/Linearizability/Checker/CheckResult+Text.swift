extension CheckResult {
    /// A human-readable report: the verdict, per-key verdicts, and for a violation the key, the operation that
    /// could not be linearized and the longest linearizable prefix (its last `prefixLimit` operations, each with
    /// the model state after it).
    public func renderText(name: String, prefixLimit: Int = 30) -> String {
        var out = "\(name): "
        switch verdict {
        case .linearizable: out += "LINEARIZABLE"
        case .notLinearizable: out += "NOT LINEARIZABLE"
        case .unknown(let cause): out += "UNKNOWN (\(cause))"
        }
        let keyCount = keys.count
        out += "  (\(options.model.rawValue), \(Self.count(operations.count, "op")), \(Self.count(keyCount, "key")), "
        out += "checked in \(Self.formatSeconds(seconds)))\n"
        if keyCount > 1 {
            let bad = keys.filter { $0.verdict == .notLinearizable }
            let unknown = keys.filter { if case .unknown(let c) = $0.verdict { c != .notChecked } else { false } }
            let skipped = keys.filter { $0.verdict == .unknown(.notChecked) }
            if keyCount <= 20 {
                for k in keys {
                    out += "  key \(k.key ?? "-"): \(Self.words(k.verdict)) (\(Self.count(k.operations.count, "op")))\n"
                }
            } else {
                out += "  keys: \(keyCount - bad.count - unknown.count - skipped.count) linearizable, "
                out += "\(bad.count) not, \(unknown.count) unknown, \(skipped.count) not checked\n"
                for k in bad + unknown { out += "  key \(k.key ?? "-"): \(Self.words(k.verdict))\n" }
            }
        }
        if case .unknown(let cause) = verdict { out += "  no verdict: \(cause)\n" }
        if let c = counterexample { out += renderCounterexample(c, prefixLimit: prefixLimit) }
        return out
    }

    private func renderCounterexample(_ c: Counterexample, prefixLimit: Int) -> String {
        var out = ""
        if let key = c.key { out += "  Key \(key) is not linearizable.\n" }
        if let conflict = c.conflictingOperations {
            out += "  Found from the read-mapping (unique written values): these \(Self.count(conflict.count, "op"))"
            out += " (a write and the reads that saw it, or two such groups) are not linearizable even on their own;\n"
            out += "  the counterexample below is the search's over just them.\n"
            let shown = conflict.prefix(prefixLimit)
            for id in shown { out += "      \(Self.clip(operations[id].description, 120))\n" }
            if conflict.count > shown.count { out += "      ... \(conflict.count - shown.count) more (all in --json)\n" }
        }
        let failing = operations[c.failingOperation]
        out += "  This operation could not be linearized:\n"
        out += "      \(Self.clip(failing.description, 200))\n"
        if c.failingOperationIllegalThere {
            let state = Self.clip(c.stateAfterPrefix)
            out += "  It is illegal in the state after the longest linearizable prefix: \(state).\n"
            out += "  No other order of the operations gets further.\n"
        } else {
            out +=
                "  It is legal in the state after the longest linearizable prefix (\(Self.clip(c.stateAfterPrefix))),\n"
            out += "  but no order of the remaining operations can follow it.\n"
        }
        out +=
            "  Longest linearizable prefix (\(Self.count(c.prefix.count, "op")), in linearization order; initial state "
        out += "\(Self.clip(c.initialState))):\n"
        let start = max(0, c.prefix.count - prefixLimit)
        if start > 0 { out += "      ... \(start) earlier ops (all of them in --json and --html)\n" }
        let width = String(c.prefix.count).count
        for i in start..<c.prefix.count {
            let n = String(i + 1)
            let pad = String(repeating: " ", count: width - n.count)
            let op = Self.clip(operations[c.prefix[i]].description, 120)
            out += "      \(pad)\(n). \(op)  -> \(Self.clip(c.prefixStates[i]))\n"
        }
        return out
    }

    /// "linearizable", "not linearizable", "unknown (timed out after 5 seconds)".
    public static func words(_ v: Verdict) -> String {
        switch v {
        case .linearizable: return "linearizable"
        case .notLinearizable: return "not linearizable"
        case .unknown(let cause): return "unknown (\(cause))"
        }
    }

    /// Long values shortened in the middle for the terminal (the JSON output has them whole).
    static func clip(_ s: String, _ limit: Int = 60) -> String {
        guard s.count > limit else { return s }
        let keep = (limit - 5) / 2
        return String(s.prefix(keep)) + " ... " + String(s.suffix(keep))
    }

    /// "1 op", "2 ops".
    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

    static func formatSeconds(_ s: Double) -> String {
        if s < 1e-3 { return "\(Int((s * 1e6).rounded())) µs" }
        if s < 1 { return "\(Double(Int(s * 1e5)) / 100) ms" }
        return "\(Double(Int(s * 1000)) / 1000) s"
    }
}
