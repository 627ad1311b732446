/// One fault as it happened: when it started and healed (nanoseconds since the run started) and what it was.
public struct NemesisWindow: Sendable, Hashable {
    public var kind: NemesisKind
    public var description: String
    public var startNanos: Int64
    public var endNanos: Int64?
}
