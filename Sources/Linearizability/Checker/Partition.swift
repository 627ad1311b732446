/// One independently checked part of a history: one key (or one group of keys that transactions connect, or the
/// whole history with `--no-split`), its operations encoded for the search.
struct Partition: Sendable {
    enum Model: Sendable {
        case single(SingleKeyModel)
        case composite(CompositeModel)
    }

    /// Display name of the key(s); nil for a single-register history without keys.
    var key: String?
    /// Ids (in ``History/operations``) of every operation of this key, including those the search skips.
    var allOps: [Int]
    /// Ids of the searched operations, by local index.
    var opIDs: [Int]
    /// Real-time positions of each searched op's call and return (-1: uncertain, no return).
    var invokePos: [Int]
    var returnPos: [Int]
    var model: Model

    /// The partition of just the local ops `ops` (ascending), for a single-element model; `allOps` is kept.
    func restricted(to ops: [Int32]) -> Partition {
        guard case .single(let m) = model else { return self }
        return Partition(
            key: key,
            allOps: allOps,
            opIDs: ops.map { opIDs[Int($0)] },
            invokePos: ops.map { invokePos[Int($0)] },
            returnPos: ops.map { returnPos[Int($0)] },
            model: .single(SingleKeyModel(element: m.element, ops: ops.map { m.ops[Int($0)] }))
        )
    }

    /// Readable state of the model after applying `ops` (local indices) in order from the initial state.
    func describeState(after ops: [Int32]) -> String {
        switch model {
        case .single(var m): return Partition.describe(&m, ops)
        case .composite(var m): return Partition.describe(&m, ops)
        }
    }

    /// Readable state after each op of `ops` (local indices) applied in order from the initial state.
    func describeStates(along ops: [Int32]) -> [String] {
        switch model {
        case .single(var m): return Partition.states(&m, ops)
        case .composite(var m): return Partition.states(&m, ops)
        }
    }

    private static func states<M: SearchModel>(_ m: inout M, _ ops: [Int32]) -> [String] {
        var s = m.initialState
        var out: [String] = []
        out.reserveCapacity(ops.count)
        for o in ops {
            if s >= 0 { s = m.step(s, o) }
            out.append(s < 0 ? "(illegal)" : m.describe(state: s))
        }
        return out
    }

    /// Whether local op `op` is legal in the state after `ops`.
    func isLegal(_ op: Int32, after ops: [Int32]) -> Bool {
        switch model {
        case .single(var m): return Partition.legal(&m, op, ops)
        case .composite(var m): return Partition.legal(&m, op, ops)
        }
    }

    private static func replay<M: SearchModel>(_ m: inout M, _ ops: [Int32]) -> Int32 {
        var s = m.initialState
        for o in ops where s >= 0 { s = m.step(s, o) }
        return s
    }

    private static func describe<M: SearchModel>(_ m: inout M, _ ops: [Int32]) -> String {
        let s = replay(&m, ops)
        return s < 0 ? "(illegal)" : m.describe(state: s)
    }

    private static func legal<M: SearchModel>(_ m: inout M, _ op: Int32, _ ops: [Int32]) -> Bool {
        let s = replay(&m, ops)
        return s >= 0 && m.step(s, op) >= 0
    }
}
