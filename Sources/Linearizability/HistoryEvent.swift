/// One line of a history: an invocation or a completion of an operation by a process.
///
/// Every parser (JSONL, Jepsen EDN, Porcupine logs) produces `[HistoryEvent]` in the file's order; the checker
/// pairs each completion with the latest invocation of the same process. See docs/checker.md.
public struct HistoryEvent: Hashable, Sendable {
    /// The kind of event.
    public enum Kind: String, Hashable, Sendable {
        /// The operation started.
        case invoke
        /// It completed and took effect (with `value` as its result).
        case ok
        /// It certainly did not take effect.
        case fail
        /// Unknown: it may take effect at any time after its invocation, or never.
        case info
    }

    // Stored compactly (40 bytes instead of 80: a long history holds millions of events): function and key as
    // ``SymbolTable`` ids, integer values inline (``PackedValue``), the time with a flag for "none", the line as Int32, in the order that packs the fields.
    /// The client process (at most one operation outstanding per process).
    public var process: Int
    var packedValue: PackedValue
    public var kind: Kind
    private var hasTime: Bool
    private var line32: Int32
    /// ``SymbolTable`` ids of `f` and `key` (0: no key).
    var fSymbol: UInt32
    var keySymbol: UInt32
    private var timeBits: Int64

    /// The argument (on invoke) or the result (on ok).
    public var value: HistoryValue {
        get { packedValue.value }
        set { packedValue = PackedValue(newValue) }
    }

    /// The function: `read`, `write`, `cas`, `get`, `put`, `append`, `acquire`, `release`, `txn`, ...
    public var f: String {
        get { SymbolTable.name(fSymbol) ?? "" }
        set { fSymbol = SymbolTable.id(newValue) }
    }
    /// The key for multi-key models (kv); nil for single-register histories.
    public var key: String? {
        get { SymbolTable.name(keySymbol) }
        set { keySymbol = SymbolTable.id(newValue) }
    }
    /// Monotonic nanoseconds, when the format has them; line order is the real-time order either way.
    public var time: Int64? {
        get { hasTime ? timeBits : nil }
        set {
            timeBits = newValue ?? 0
            hasTime = newValue != nil
        }
    }
    /// The 1-based line (or entry) number in the input, for error messages and reports.
    public var line: Int {
        get { Int(line32) }
        set { line32 = Int32(newValue) }
    }

    public init(process: Int, kind: Kind, f: String, key: String? = nil, value: HistoryValue, time: Int64? = nil, line: Int) {
        self.process = process
        self.packedValue = PackedValue(value)
        self.timeBits = time ?? 0
        self.line32 = Int32(line)
        self.fSymbol = SymbolTable.id(f)
        self.keySymbol = SymbolTable.id(key)
        self.kind = kind
        self.hasTime = time != nil
    }
}

/// A value in a history: what JSON and EDN can say about an operation's argument or result.
public indirect enum HistoryValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case int(Int64)
    case string(String)
    /// An EDN keyword without its colon, e.g. `timed-out`.
    case keyword(String)
    case bool(Bool)
    /// A JSON array or EDN vector/list, e.g. a cas `[expected, new]` or a txn's micro-operations.
    case list([HistoryValue])

    public var description: String {
        switch self {
        case .null: return "nil"
        case .int(let v): return String(v)
        case .string(let s): return "\"\(s)\""
        case .keyword(let k): return ":\(k)"
        case .bool(let b): return String(b)
        case .list(let items): return "[" + items.map(\.description).joined(separator: " ") + "]"
        }
    }
}
