/// The sequential specifications the checker knows. Each is a deterministic state machine over integer-encoded
/// states (see docs/checker.md, "Models").
public enum ModelKind: String, CaseIterable, Hashable, Sendable {
    /// One register per key: `read` (must return the current value), `write v`.
    case register
    /// `register` plus `cas [expected new]`: succeeds only when the value equals `expected`.
    case casRegister = "cas-register"
    /// A string register per key: `get`, `put s`, `append s` (concatenation). nil and "" are the same value.
    case kv
    /// A lock per key: `acquire` (must be free), `release` (must be held). Owners are not tracked (as Knossos).
    case mutex
    /// Knossos's multi-register: `txn` operations whose value is a list of `[read k v]` / `[write k v]`
    /// micro-operations applied atomically, in order. A nil read value is always legal.
    case multiRegister = "multi-register"

    /// The model that fits the functions used in `operations`: `txn` gives multi-register, get/put/append kv,
    /// acquire/release mutex, cas cas-register, anything else register.
    public static func infer(from operations: [Operation]) -> ModelKind {
        var fs = Set<String>()
        for op in operations { fs.insert(op.f) }
        if fs.contains("txn") { return .multiRegister }
        if !fs.isDisjoint(with: ["get", "put", "append"]) { return .kv }
        if !fs.isDisjoint(with: ["acquire", "release"]) { return .mutex }
        if fs.contains("cas") { return .casRegister }
        return .register
    }
}
