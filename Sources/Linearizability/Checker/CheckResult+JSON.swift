extension CheckResult {
    /// The result as one line of JSON:
    /// `{"file", "valid": true|false|"unknown", "cause", "model", "ops", "keys", "seconds", "counterexample",
    /// "keyResults"}`; a counterexample found by the read-mapping fast path lists its "conflictingOps" (ids), and each
    /// key result says its "method" ("search" or "read-mapping"). `extra` fields (already JSON-encoded values) are inserted after "file".
    public func renderJSON(file: String, extra: [(String, String)] = []) -> String {
        var out = "{\"file\":" + ResultJSON.string(file) + ",\"valid\":" + verdict.jsonValue
        for (k, v) in extra { out += "," + ResultJSON.string(k) + ":" + v }
        out += ",\"cause\":" + Self.causeJSON(verdict)
        out += ",\"model\":" + ResultJSON.string(options.model.rawValue)
        out += ",\"ops\":\(operations.count),\"keys\":\(keys.count),\"seconds\":\(seconds)"
        out += ",\"counterexample\":"
        if let c = counterexample {
            out += "{\"key\":" + (c.key.map(ResultJSON.string) ?? "null")
            out += ",\"failingOp\":" + opJSON(operations[c.failingOperation])
            out += ",\"failingOpIllegalAfterPrefix\":\(c.failingOperationIllegalThere)"
            out += ",\"initialState\":" + ResultJSON.string(c.initialState)
            out += ",\"stateAfterPrefix\":" + ResultJSON.string(c.stateAfterPrefix)
            out += ",\"conflictingOps\":"
            out += c.conflictingOperations.map { "[" + $0.map { String($0) }.joined(separator: ",") + "]" } ?? "null"
            out += ",\"prefix\":["
            for (i, id) in c.prefix.enumerated() {
                if i > 0 { out += "," }
                out += opJSON(operations[id], state: c.prefixStates[i])
            }
            out += "]}"
        } else {
            out += "null"
        }
        out += ",\"keyResults\":["
        for (i, k) in keys.enumerated() {
            if i > 0 { out += "," }
            out += "{\"key\":" + (k.key.map(ResultJSON.string) ?? "null") + ",\"valid\":" + k.verdict.jsonValue
            out += ",\"cause\":" + Self.causeJSON(k.verdict)
            out += ",\"ops\":\(k.operations.count),\"searchedOps\":\(k.searchedOperations)"
            out += ",\"cacheEntries\":\(k.cacheEntries),\"seconds\":\(k.seconds)"
            out += ",\"method\":" + ResultJSON.string(k.method.rawValue) + "}"
        }
        out += "]}"
        return out
    }

    private static func causeJSON(_ v: Verdict) -> String {
        if case .unknown(let cause) = v { return ResultJSON.string(cause.description) }
        return "null"
    }

    private func opJSON(_ op: Operation, state: String? = nil) -> String {
        var out = "{\"id\":\(op.id),\"process\":\(op.process),\"f\":" + ResultJSON.string(op.f)
        out += ",\"key\":" + (op.key.map(ResultJSON.string) ?? "null")
        out += ",\"value\":" + ResultJSON.value(op.value) + ",\"status\":" + ResultJSON.string(op.status.rawValue)
        out += ",\"invokeLine\":\(op.invokeLine),\"completeLine\":" + (op.completeLine.map { String($0) } ?? "null")
        if let state { out += ",\"stateAfter\":" + ResultJSON.string(state) }
        return out + "}"
    }
}

/// JSON for check results: strings through `JSONText`; keywords keep their colon (":timed-out").
enum ResultJSON {
    static func string(_ s: String) -> String { JSONText.quoted(s) }

    /// A history value: nil as null, keywords as ":name" strings, lists as arrays.
    static func value(_ v: HistoryValue) -> String {
        switch v {
        case .null: return "null"
        case .int(let i): return String(i)
        case .string(let s): return string(s)
        case .keyword(let k): return string(":" + k)
        case .bool(let b): return String(b)
        case .list(let items): return "[" + items.map(value).joined(separator: ",") + "]"
        }
    }
}
