/// An EDN value as the EDN reader sees it.
enum EDNValue {
    case `nil`
    case bool(Bool)
    case int(Int64)
    /// A floating-point, big-decimal or ratio literal, kept as written.
    case float(String)
    case string(String)
    /// A keyword without its leading colon.
    case keyword(String)
    case symbol(String)
    case character(String)
    case vector([EDNValue])
    case list([EDNValue])
    case set([EDNValue])
    /// Keys and values alternating: `[k0, v0, k1, v1, ...]`.
    case map([EDNValue])
    /// `#tag value`, e.g. `#jepsen.history.Op{...}` or `#inst "..."`.
    indirect case tagged(String, EDNValue)

    /// A short name for error messages.
    var kindName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .float(let text): return "the non-integer number \(text)"
        case .string: return "a string"
        case .keyword(let k): return "the keyword :\(k)"
        case .symbol(let s): return "the symbol \(s)"
        case .character: return "a character"
        case .vector: return "a vector"
        case .list: return "a list"
        case .set: return "a set"
        case .map: return "a map"
        case .tagged(let tag, _): return "a #\(tag) value"
        }
    }

    /// The history value. Vectors, lists and sets become lists; maps become lists of `[key, value]` pairs;
    /// symbols become keywords; characters become strings; tags are dropped. Fails for non-integer numbers.
    func historyValue() throws(SyntaxError) -> HistoryValue {
        switch self {
        case .nil: return .null
        case .bool(let b): return .bool(b)
        case .int(let v): return .int(v)
        case .float(let text):
            throw SyntaxError(
                reason:
                    "non-integer number \(text) in a value (history values are integers, strings, keywords, booleans, nil and collections)"
            )
        case .string(let s), .character(let s): return .string(s)
        case .keyword(let k), .symbol(let k): return .keyword(k)
        case .vector(let items), .list(let items), .set(let items):
            var out: [HistoryValue] = []
            out.reserveCapacity(items.count)
            for item in items {
                out.append(try item.historyValue())
            }
            return .list(out)
        case .map(let flat):
            var out: [HistoryValue] = []
            out.reserveCapacity(flat.count / 2)
            var i = 0
            while i + 1 < flat.count {
                out.append(.list([try flat[i].historyValue(), try flat[i + 1].historyValue()]))
                i += 2
            }
            return .list(out)
        case .tagged(_, let inner): return try inner.historyValue()
        }
    }
}
