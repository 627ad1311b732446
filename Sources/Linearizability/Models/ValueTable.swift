/// Interns values as dense `Int32` ids, so model states and operation arguments are plain integers in the search.
///
/// Integers (most register histories' values) are kept unboxed and looked up by their `Int64`: a long history has
/// hundreds of thousands of distinct written values, and a boxed `HistoryValue` key costs a heap box each.
struct ValueTable: Sendable {
    private var packed: [PackedValue] = []
    private var intIDs: [Int64: Int32] = [:]
    private var otherIDs: [HistoryValue: Int32] = [:]

    /// The id of `value`, adding it when new.
    mutating func id(_ value: HistoryValue) -> Int32 {
        if case .int(let i) = value {
            if let id = intIDs[i] { return id }
            let id = Int32(packed.count)
            packed.append(.int(i))
            intIDs[i] = id
            return id
        }
        if let id = otherIDs[value] { return id }
        let id = Int32(packed.count)
        packed.append(PackedValue(value))
        otherIDs[value] = id
        return id
    }

    subscript(id: Int32) -> HistoryValue { packed[Int(id)].value }

    var count: Int { packed.count }
}
