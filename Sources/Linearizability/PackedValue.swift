/// A ``HistoryValue`` as events and operations store it: integers (the values of most register histories) and nil
/// inline in 9 bytes, anything else as the boxed `HistoryValue` (an indirect enum puts even an integer in its own
/// heap box, 32 bytes each, two for most operations of a long history).
enum PackedValue: Hashable, Sendable {
    case null
    case int(Int64)
    case other(HistoryValue)

    init(_ v: HistoryValue) {
        switch v {
        case .null: self = .null
        case .int(let i): self = .int(i)
        default: self = .other(v)
        }
    }

    var value: HistoryValue {
        switch self {
        case .null: return .null
        case .int(let i): return .int(i)
        case .other(let v): return v
        }
    }
}
