/// One operation of a history: an invocation paired with its completion (if any).
///
/// Built by ``History/init(events:)``. `id` is the operation's index in ``History/operations``, which are ordered
/// by invocation.
public struct Operation: Hashable, Sendable {
    /// How the operation ended.
    public enum Status: String, Hashable, Sendable {
        /// Completed and took effect, at some instant between invocation and completion.
        case ok
        /// Certainly did not take effect. The checker ignores it.
        case fail
        /// Unknown outcome: may take effect at any instant after its invocation, or never.
        case info
        /// Never completed before the end of the history: treated exactly as `info`.
        case pending
    }

    // Stored compactly (about 80 bytes and no heap box instead of 152 and two boxes; a long history holds hundreds of thousands): function and key as
    // ``SymbolTable`` ids, integer values inline (``PackedValue``), positions and lines as Int32 (-1 for "none"), times as Int64 with a flag for "none", in
    // the order that packs the fields. The public properties below present them with their natural types.
    private var packedInvokeValue: PackedValue
    public var status: Status
    private var timeFlags: UInt8  // bit 0: invokeTime present, bit 1: completeTime present
    private var id32: Int32
    var packedCompletionValue: PackedValue?
    private var completeIndex32: Int32
    private var invokeTimeBits: Int64
    private var completeTimeBits: Int64
    public var process: Int
    private var invokeIndex32: Int32
    private var invokeLine32: Int32
    private var completeLine32: Int32
    /// ``SymbolTable`` ids of `f` and `key` (0: no key).
    var fSymbol: UInt32
    var keySymbol: UInt32

    /// The value on the invocation line (the argument).
    public var invokeValue: HistoryValue {
        get { packedInvokeValue.value }
        set { packedInvokeValue = PackedValue(newValue) }
    }
    /// The value on the completion line, nil when the operation never completed.
    public var completionValue: HistoryValue? {
        get { packedCompletionValue?.value }
        set { packedCompletionValue = newValue.map(PackedValue.init) }
    }

    public init(
        id: Int, process: Int, f: String, key: String?, status: Status, invokeValue: HistoryValue,
        completionValue: HistoryValue?, invokeIndex: Int, completeIndex: Int?, invokeLine: Int, completeLine: Int?,
        invokeTime: Int64?, completeTime: Int64?
    ) {
        self.init(
            id: id, process: process, fSymbol: SymbolTable.id(f), keySymbol: SymbolTable.id(key), status: status,
            invokeValue: invokeValue, completionValue: completionValue, invokeIndex: invokeIndex,
            completeIndex: completeIndex, invokeLine: invokeLine, completeLine: completeLine, invokeTime: invokeTime,
            completeTime: completeTime
        )
    }

    /// Same, with function and key as ``SymbolTable`` ids.
    init(
        id: Int, process: Int, fSymbol: UInt32, keySymbol: UInt32, status: Status, invokeValue: HistoryValue,
        completionValue: HistoryValue?, invokeIndex: Int, completeIndex: Int?, invokeLine: Int, completeLine: Int?,
        invokeTime: Int64?, completeTime: Int64?
    ) {
        self.fSymbol = fSymbol
        self.keySymbol = keySymbol
        self.packedInvokeValue = PackedValue(invokeValue)
        self.packedCompletionValue = completionValue.map(PackedValue.init)
        self.invokeTimeBits = invokeTime ?? 0
        self.completeTimeBits = completeTime ?? 0
        self.process = process
        self.id32 = Int32(id)
        self.invokeIndex32 = Int32(invokeIndex)
        self.completeIndex32 = Int32(completeIndex ?? -1)
        self.invokeLine32 = Int32(invokeLine)
        self.completeLine32 = Int32(completeLine ?? -1)
        self.status = status
        self.timeFlags = (invokeTime == nil ? 0 : 1) | (completeTime == nil ? 0 : 2)
    }

    /// The function, as on the history's lines.
    public var f: String {
        get { SymbolTable.name(fSymbol) ?? "" }
        set { fSymbol = SymbolTable.id(newValue) }
    }
    /// The key (multi-key models), nil when the history names none.
    public var key: String? {
        get { SymbolTable.name(keySymbol) }
        set { keySymbol = SymbolTable.id(newValue) }
    }
    /// Index in ``History/operations``.
    public var id: Int {
        get { Int(id32) }
        set { id32 = Int32(newValue) }
    }
    /// Position of the invocation in the real-time order of the history's events (0-based).
    public var invokeIndex: Int {
        get { Int(invokeIndex32) }
        set { invokeIndex32 = Int32(newValue) }
    }
    /// Position of the completion in the real-time order, nil when pending.
    public var completeIndex: Int? {
        get { completeIndex32 < 0 ? nil : Int(completeIndex32) }
        set { completeIndex32 = Int32(newValue ?? -1) }
    }
    /// Input line (1-based) of the invocation, for messages.
    public var invokeLine: Int {
        get { Int(invokeLine32) }
        set { invokeLine32 = Int32(newValue) }
    }
    /// Input line (1-based) of the completion, nil when pending.
    public var completeLine: Int? {
        get { completeLine32 < 0 ? nil : Int(completeLine32) }
        set { completeLine32 = Int32(newValue ?? -1) }
    }
    /// Time in nanoseconds of the invocation when the input has it.
    public var invokeTime: Int64? {
        get { timeFlags & 1 == 0 ? nil : invokeTimeBits }
        set {
            invokeTimeBits = newValue ?? 0
            timeFlags = newValue == nil ? timeFlags & ~1 : timeFlags | 1
        }
    }
    /// Time in nanoseconds of the completion when the input has it.
    public var completeTime: Int64? {
        get { timeFlags & 2 == 0 ? nil : completeTimeBits }
        set {
            completeTimeBits = newValue ?? 0
            timeFlags = newValue == nil ? timeFlags & ~2 : timeFlags | 2
        }
    }

    /// The value the models use, with Knossos's rule: for an `ok` operation the completion's value (the result of
    /// a read, or the repeated argument of a write) unless it is nil, otherwise the invocation's value.
    public var value: HistoryValue {
        if status == .ok, let v = completionValue, v != .null { return v }
        if status == .ok, invokeValue == .null, let v = completionValue { return v }
        return invokeValue
    }

    /// True when the operation may take effect but has no known completion (`info` or `pending`).
    public var isUncertain: Bool { status == .info || status == .pending }
}

extension Operation: CustomStringConvertible {
    /// A short human-readable form, e.g. `p3 write 4 (ok, lines 10-12)`.
    public var description: String {
        var s = "p\(process) \(f)"
        if let key { s += " [\(key)]" }
        s += " \(Operation.render(value))"
        switch status {
        case .ok: s += " (ok"
        case .fail: s += " (fail"
        case .info: s += " (info: unknown outcome"
        case .pending: s += " (pending: never completed"
        }
        if let completeLine { s += ", lines \(invokeLine)-\(completeLine))" } else { s += ", line \(invokeLine))" }
        return s
    }

    /// Values as a reader expects them: strings quoted, nil as `nil`.
    static func render(_ v: HistoryValue) -> String { v.description }
}
