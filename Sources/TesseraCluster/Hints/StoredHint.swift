/// A hint as the durable store returns it: with its row id, which orders hints oldest first per target.
public struct StoredHint: Hashable, Sendable {
    public var id: Int64
    public var hint: Hint

    public init(id: Int64, hint: Hint) {
        self.id = id
        self.hint = hint
    }
}
