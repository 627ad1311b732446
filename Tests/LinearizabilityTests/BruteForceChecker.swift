import Linearizability

/// A deliberately simple linearizability checker for small histories, independent of the fast one: it tries every
/// order of the operations that respects real time (an op may come next only if no remaining `ok` op completed
/// before it was invoked), with its own models over `HistoryValue`s. Uncertain ops may be placed or left out;
/// `fail` ops are ignored. Exponential: use for up to ~8 operations.
enum BruteForceChecker {
    typealias State = [String: HistoryValue]

    static func isLinearizable(_ ops: [Operation], options: CheckOptions) -> Bool {
        let live = ops.filter { $0.status != .fail }
        return search(live, remaining: (1 << live.count) - 1, state: [:], options)
    }

    private static func search(_ ops: [Operation], remaining: Int, state: State, _ o: CheckOptions) -> Bool {
        var okLeft = false
        for i in ops.indices where remaining & (1 << i) != 0 && ops[i].status == .ok { okLeft = true }
        if !okLeft { return true }
        for i in ops.indices where remaining & (1 << i) != 0 {
            let blocked = ops.indices.contains { j in
                j != i && remaining & (1 << j) != 0 && ops[j].status == .ok
                    && ops[j].completeIndex! < ops[i].invokeIndex
            }
            if blocked { continue }
            if let next = step(state, ops[i], o), search(ops, remaining: remaining & ~(1 << i), state: next, o) {
                return true
            }
        }
        return false
    }

    private static func str(_ v: HistoryValue) -> String {
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return v.description
        }
    }

    static func step(_ s: State, _ op: Operation, _ o: CheckOptions) -> State? {
        var s = s
        let k = op.key ?? ""
        let current = s[k] ?? (o.model == .kv ? .string(str(o.initialValue)) : o.initialValue)
        let v = op.value
        let unknownRead = op.isUncertain || (v == .null && o.nilReadIsUnknown)
        switch op.f {
        case "read":
            return unknownRead || current == v ? s : nil
        case "write":
            s[k] = v
        case "cas":
            guard case .list(let p) = op.invokeValue, current == p[0] else { return nil }
            s[k] = p[1]
        case "get":
            return unknownRead || str(current) == str(v) ? s : nil
        case "put":
            s[k] = .string(str(v))
        case "append":
            s[k] = .string(str(current) + str(v))
        case "acquire":
            if current == .bool(true) { return nil }
            s[k] = .bool(true)
        case "release":
            if current != .bool(true) { return nil }
            s[k] = .bool(false)
        case "txn":
            guard case .list(let steps) = op.status == .ok ? op.value : op.invokeValue else { return nil }
            for step in steps {
                guard case .list(let t) = step, case .keyword(let f) = t[0], case .keyword(let key) = t[1] else {
                    return nil
                }
                let cur = s[key] ?? o.initialValue
                if f == "r" {
                    if op.isUncertain || t[2] == .null { continue }
                    if cur != t[2] { return nil }
                } else {
                    s[key] = t[2]
                }
            }
        default:
            return nil
        }
        return s
    }
}
