/// The outcome of checking a history (or one key of it).
public enum Verdict: Hashable, Sendable {
    case linearizable
    case notLinearizable
    /// No verdict: the check stopped first.
    case unknown(UnknownCause)

    /// `true`, `false` or `"unknown"`, as the JSON output writes it.
    public var jsonValue: String {
        switch self {
        case .linearizable: return "true"
        case .notLinearizable: return "false"
        case .unknown: return "\"unknown\""
        }
    }
}

/// Why a check ended without a verdict.
public enum UnknownCause: Hashable, Sendable, CustomStringConvertible {
    /// The `--timeout` passed.
    case timeout(Duration)
    /// The search caches would have exceeded the memory limit (bytes).
    case memoryLimit(Int)
    /// Not checked: another key was already not linearizable, so the history is not either.
    case notChecked

    public var description: String {
        switch self {
        case .timeout(let d): return "timed out after \(d)"
        case .memoryLimit(let b): return "memory limit of \(b / (1 << 20)) MB reached"
        case .notChecked: return "not checked (another key is not linearizable)"
        }
    }
}

/// Why a history is not linearizable, for one key.
public struct Counterexample: Hashable, Sendable {
    /// The key (or keys) whose sub-history is not linearizable; nil for a history without keys.
    public var key: String?
    /// Id of the operation that could not be linearized (in ``CheckResult/operations``).
    public var failingOperation: Int
    /// The longest linearizable prefix found: operation ids in linearization order.
    public var prefix: [Int]
    /// The model state after the prefix, readable (e.g. `3`, `"x 0 0 y"`, `{x: 1, y: nil}`).
    public var stateAfterPrefix: String
    /// The model state after each operation of `prefix`.
    public var prefixStates: [String]
    /// The model's initial state, readable.
    public var initialState: String
    /// True when the failing operation is illegal in that state; false when it is legal there but every way to
    /// continue after it fails later.
    public var failingOperationIllegalThere: Bool
    /// When the read-mapping fast path found the violation: the operations (ids) of the one or two clusters
    /// (a write and the reads that saw it) that conflict. They are not linearizable even on their own, and the
    /// prefix and failing operation above are the search's over just them. Nil when the search of the whole key
    /// found it.
    public var conflictingOperations: [Int]? = nil
}

/// How a key's verdict was reached.
public enum CheckMethod: String, Hashable, Sendable {
    /// The WGL search over the key's operations.
    case search
    /// The read-mapping decision for unique-value registers (no search; see docs/checker.md).
    case readMapping = "read-mapping"
}

/// The result for one key (or one group of keys, or the whole history with `--no-split`).
public struct KeyResult: Hashable, Sendable {
    /// The key; nil for a history without keys.
    public var key: String?
    public var verdict: Verdict
    /// Operations of this key (ids in ``CheckResult/operations``), including skipped ones (fail, unknown reads).
    public var operations: [Int]
    /// How many of them the search had to place.
    public var searchedOperations: Int
    /// For a linearizable key: operation ids in a valid linearization order (uncertain operations that never took
    /// effect, and skipped ones, are absent).
    public var linearization: [Int]?
    public var counterexample: Counterexample?
    /// Configurations in the search cache at the end.
    public var cacheEntries: Int
    /// Wall time of this key's search.
    public var seconds: Double
    /// The search, or the read-mapping fast path.
    public var method: CheckMethod = .search
}

/// The result of ``LinearizabilityChecker/check(_:options:)``.
public struct CheckResult: Sendable {
    /// Overall: not linearizable if any key is not; unknown if any key is unknown; else linearizable.
    public var verdict: Verdict
    public var options: CheckOptions
    /// Per key, in order of first appearance in the history.
    public var keys: [KeyResult]
    /// The operations of the history (ids are indices).
    public var operations: [Operation]
    /// Wall time of the check (encoding and search; not parsing).
    public var seconds: Double

    /// The counterexample of the first key that is not linearizable.
    public var counterexample: Counterexample? { keys.lazy.compactMap(\.counterexample).first }
}
