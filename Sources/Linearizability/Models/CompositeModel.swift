/// Several registers / strings / locks as one object: the state is the vector of element states, interned as
/// an id. Used for `--no-split` and for multi-register transactions (an operation is a list of micro-operations
/// applied atomically, in order). Steps are memoized per (state, operation).
struct CompositeModel: SearchModel, Sendable {
    var element: ElementModel
    /// Display names of the keys, by key index.
    let keyNames: [String]
    /// Micro-operations of operation `i`: `micro[opStart[i] ..< opStart[i + 1]]`.
    let opStart: [Int32]
    let micro: [MicroOp]
    private var vectors: [[Int32]] = []
    private var vectorIDs: [[Int32]: Int32] = [:]
    private var memo = IntMap()
    let initialState: Int32

    init(element: ElementModel, keyNames: [String], opStart: [Int32], micro: [MicroOp]) {
        self.element = element
        self.keyNames = keyNames
        self.opStart = opStart
        self.micro = micro
        let initial = [Int32](repeating: element.initialState, count: keyNames.count)
        vectors.append(initial)
        vectorIDs[initial] = 0
        initialState = 0
    }

    mutating func step(_ state: Int32, _ op: Int32) -> Int32 {
        let memoKey = UInt64(UInt32(bitPattern: state)) << 32 | UInt64(UInt32(bitPattern: op))
        if let r = memo.get(memoKey) { return r }
        var v = vectors[Int(state)]
        var legal = true
        for m in micro[Int(opStart[Int(op)])..<Int(opStart[Int(op) + 1])] {
            let next = element.step(v[Int(m.key)], m)
            if next < 0 {
                legal = false
                break
            }
            v[Int(m.key)] = next
        }
        var r: Int32 = -1
        if legal {
            if let id = vectorIDs[v] {
                r = id
            } else {
                r = Int32(vectors.count)
                vectors.append(v)
                vectorIDs[v] = r
            }
        }
        memo.set(memoKey, r)
        return r
    }

    var approximateBytes: Int {
        element.approximateBytes + memo.approximateBytes + vectors.count * (keyNames.count * 8 + 64)
    }

    func describe(state: Int32) -> String {
        let v = vectors[Int(state)]
        let parts = keyNames.indices.map { "\(keyNames[$0]): \(element.describe(v[$0]))" }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    func isReadOnly(_ op: Int32) -> Bool {
        micro[Int(opStart[Int(op)])..<Int(opStart[Int(op) + 1])].allSatisfy { $0.kind == .read }
    }

    /// Readable form of operation `op`'s micro-operations.
    func describe(op: Int32) -> String {
        micro[Int(opStart[Int(op)])..<Int(opStart[Int(op) + 1])].map {
            "\(keyNames[Int($0.key)]): \(element.describe($0))"
        }.joined(separator: "; ")
    }
}
