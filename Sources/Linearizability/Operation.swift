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

    /// Index in ``History/operations``.
    public var id: Int
    public var process: Int
    public var f: String
    public var key: String?
    public var status: Status
    /// The value on the invocation line (the argument).
    public var invokeValue: HistoryValue
    /// The value on the completion line, nil when the operation never completed.
    public var completionValue: HistoryValue?
    /// Position of the invocation in the real-time order of the history's events (0-based).
    public var invokeIndex: Int
    /// Position of the completion in the real-time order, nil when pending.
    public var completeIndex: Int?
    /// Input lines (1-based) of the invocation and completion, for messages.
    public var invokeLine: Int
    public var completeLine: Int?
    /// Times in nanoseconds when the input has them.
    public var invokeTime: Int64?
    public var completeTime: Int64?

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
