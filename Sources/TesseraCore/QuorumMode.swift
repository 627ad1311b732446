/// Which replicas may count toward a write's W (per request).
///
/// - `strict` (the default): only the key's N home replicas count; a home replica that is down or does not
///   acknowledge in time gets a hint kept by the coordinator, without counting.
/// - `sloppy` (Dynamo): a home replica that is down is replaced by the next healthy distinct node along the
///   ring, which keeps the write as a hint for it; its acknowledgement counts toward W. Writes stay available
///   when home replicas are down, but a later read at R with R + W > N may miss the write until the hint is
///   replayed. See docs/consistency.md.
public enum QuorumMode: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case strict
    case sloppy

    /// Parses `strict` or `sloppy` (any case); throws `invalidRequest` naming the accepted forms.
    public init(parsing text: String) throws(TesseraError) {
        guard let mode = QuorumMode(rawValue: text.lowercased()) else {
            throw TesseraError(.invalidRequest, "invalid quorum mode '\(text)': use strict or sloppy")
        }
        self = mode
    }

    /// On the wire, sloppy sets this bit of the consistency level's code byte (strict requests encode as before,
    /// and a node that predates sloppy quorums rejects a sloppy request as an unknown level instead of silently
    /// running it strict). DO NOT CHANGE: on the wire.
    public static let sloppyWireBit: UInt8 = 0x80

    public var description: String { rawValue }
}
