/// What the linearizability search needs from a model: integer states and a step function over the
/// partition's operations (by local index). `step` returns -1 when the operation is illegal in that state.
protocol SearchModel {
    var initialState: Int32 { get }
    mutating func step(_ state: Int32, _ op: Int32) -> Int32
    /// Bytes of memo tables and interned states, counted against the memory limit.
    var approximateBytes: Int { get }
    func describe(state: Int32) -> String
    /// True when operation `op` never changes the state and is legal only where it leaves it unchanged (a read
    /// with a known result, or a transaction of such reads).
    func isReadOnly(_ op: Int32) -> Bool
}

/// A single register / string / lock: each operation is one micro-operation; states are the element's states.
struct SingleKeyModel: SearchModel, Sendable {
    var element: ElementModel
    let ops: [MicroOp]

    var initialState: Int32 { element.initialState }

    @inline(__always)
    mutating func step(_ state: Int32, _ op: Int32) -> Int32 { element.step(state, ops[Int(op)]) }

    var approximateBytes: Int { element.approximateBytes }

    func describe(state: Int32) -> String { element.describe(state) }

    func isReadOnly(_ op: Int32) -> Bool { ops[Int(op)].kind == .read }
}
