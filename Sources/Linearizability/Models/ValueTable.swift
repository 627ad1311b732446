/// Interns values as dense `Int32` ids, so model states and operation arguments are plain integers in the search.
struct ValueTable: Sendable {
    private(set) var values: [HistoryValue] = []
    private var ids: [HistoryValue: Int32] = [:]

    /// The id of `value`, adding it when new.
    mutating func id(_ value: HistoryValue) -> Int32 {
        if let id = ids[value] { return id }
        let id = Int32(values.count)
        values.append(value)
        ids[value] = id
        return id
    }

    subscript(id: Int32) -> HistoryValue { values[Int(id)] }

    var count: Int { values.count }
}
