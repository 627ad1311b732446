/// A JSON value as the JSONL reader sees it. Integers stay integers; other numbers keep their text.
enum JSONValue {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number with a fraction or exponent, kept as written (history values are integers only).
    case float(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// A short name for error messages: "a string", "an array".
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .float(let text): return "the non-integer number \(text)"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The history value; objects become lists of `[name, value]` pairs. Fails for non-integer numbers.
    func historyValue() throws(SyntaxError) -> HistoryValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let v): return .int(v)
        case .float(let text):
            throw SyntaxError(
                reason:
                    "non-integer number \(text) in a value (history values are integers, strings, booleans, null and arrays)"
            )
        case .string(let s): return .string(s)
        case .array(let items):
            var out: [HistoryValue] = []
            out.reserveCapacity(items.count)
            for item in items {
                out.append(try item.historyValue())
            }
            return .list(out)
        case .object(let fields):
            var out: [HistoryValue] = []
            out.reserveCapacity(fields.count)
            for (name, value) in fields {
                out.append(.list([.string(name), try value.historyValue()]))
            }
            return .list(out)
        }
    }
}
