public import TesseraCore

/// What a client tells the coordinator about one attempt of a write it may send more than once
/// (IDEMPOTENT_WRITE, docs/wire-protocol.md; docs/consistency.md "Idempotent retries").
///
/// The client picks `id` (random, non-zero) before the first attempt and keeps it for every resend. A
/// coordinator remembers which version it gave each id (`WriteVersionMemory`) and gives a resend the same
/// version, so a replica that already applied the first attempt applies nothing new (replicas keep the first
/// of equal versions). A client that already knows the version (a previous attempt was answered) sends it in
/// `version`: then any coordinator reuses it.
public struct IdempotentWrite: Sendable, Hashable {
    /// The client's id of the write, the same in every attempt. Never 0.
    public var id: UInt64
    /// True for every attempt after the first: a coordinator that does not know `id` (and has no `version`)
    /// refuses it rather than issue a new version, because the first attempt may have been applied.
    public var isResend: Bool
    /// The version an earlier attempt was given, when the client knows it.
    public var version: Version?

    public init(id: UInt64, isResend: Bool = false, version: Version? = nil) {
        self.id = id
        self.isResend = isResend
        self.version = version
    }
}
