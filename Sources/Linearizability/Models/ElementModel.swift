/// The sequential specification of one register, string or lock, over integer states.
///
/// States are value ids of `values` (register, cas-register, multi-register), string nodes of `strings` (kv), or
/// 0/1 (mutex: free/held). `step` returns the next state, or -1 when the operation is illegal in that state.
struct ElementModel: Sendable {
    let kind: ModelKind
    var values: ValueTable
    /// kv states: node ids of canonical strings (`values` is unused then).
    var strings: StringStates
    let initialState: Int32

    init(kind: ModelKind, values: ValueTable, strings: StringStates = StringStates(), initialState: Int32) {
        self.kind = kind
        self.values = values
        self.strings = strings
        self.initialState = initialState
    }

    @inline(__always)
    mutating func step(_ state: Int32, _ op: MicroOp) -> Int32 {
        switch op.kind {
        case .read: return op.a < 0 || op.a == state ? state : -1
        case .write: return op.a
        case .cas: return op.a == state ? op.b : -1
        case .append: return strings.append(state, op.a)
        case .acquire: return state == 0 ? 1 : -1
        case .release: return state == 1 ? 0 : -1
        }
    }

    /// A kv value as its string (nil is "", integers in decimal), or nil when it cannot be one.
    static func string(_ v: HistoryValue) -> String {
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .int(let i): return String(i)
        case .keyword(let k): return k
        case .bool(let b): return String(b)
        case .list: return v.description
        }
    }

    /// Readable form of a state.
    func describe(_ state: Int32) -> String {
        switch kind {
        case .mutex: return state == 1 ? "held" : "free"
        case .kv: return "\"" + strings.string(of: state) + "\""
        case .register, .casRegister, .multiRegister: return values[state].description
        }
    }

    /// Readable form of a micro-operation (without its key).
    func describe(_ op: MicroOp) -> String {
        func v(_ id: Int32) -> String {
            kind == .kv ? "\"" + strings.string(of: id) + "\"" : values[id].description
        }
        switch op.kind {
        case .read: return op.a < 0 ? "read (any value)" : (kind == .kv ? "get " : "read ") + v(op.a)
        case .write: return (kind == .kv ? "put " : "write ") + v(op.a)
        case .cas: return "cas \(v(op.a)) -> \(v(op.b))"
        case .append: return "append \"" + strings.string(piece: op.a) + "\""
        case .acquire: return "acquire"
        case .release: return "release"
        }
    }

    /// Bytes held by interned values and strings (roughly), for the memory limit.
    var approximateBytes: Int { strings.approximateBytes + values.count * 48 }
}
