public import TesseraCore
import TesseraRing

/// Idempotent writes: a resent write gets the version of its first attempt (docs/consistency.md, "Idempotent
/// retries").
extension NodeCoordinator {
    /// Client write ids remembered per coordinator (about 40 bytes each).
    public static let writeVersionMemoryCapacity = 65_536

    /// The version an idempotent write must carry, or nil when a new one is to be issued (a first attempt this
    /// coordinator has not seen; at LINEARIZABLE: run the version phase).
    ///
    /// - A version the client sends is used as it is (after the maximum-clock-offset check, as for every version
    ///   from the wire; the clock observes it).
    /// - Otherwise a write id this coordinator remembers gets the version it was given.
    /// - Otherwise a first attempt gets nil; a resend is refused with `invalidRequest`: its first attempt may have
    ///   been applied with a version this coordinator no longer knows (it restarted, or forgot the id), and a new
    ///   version would apply the write a second time.
    /// An id the coordinator knows for another key is refused too.
    public mutating func resolveVersion(
        _ write: IdempotentWrite,
        key: [UInt8],
        wallMillis: UInt64
    ) throws(TesseraError) -> Version? {
        try resolveVersion(write, keyToken: Murmur3.token(for: key), wallMillis: wallMillis)
    }

    /// `resolveVersion(_:key:wallMillis:)` for a key whose ring token the caller computed already.
    public mutating func resolveVersion(
        _ write: IdempotentWrite,
        keyToken: Int64,
        wallMillis: UInt64
    ) throws(TesseraError) -> Version? {
        guard write.id != 0 else {
            throw TesseraError(.invalidRequest, "an idempotent write needs a non-zero write id")
        }
        if let version = write.version {
            do throws(ClockOffsetError) {
                try observeChecked(version, wallMillis: wallMillis)
            } catch {
                throw TesseraError(.invalidRequest, "the resent write's version is refused: \(error)")
            }
            return version
        }
        switch writeVersions.lookup(write.id, keyToken: keyToken) {
        case .known(let version):
            return version
        case .otherKey:
            throw TesseraError(
                .invalidRequest,
                "write id \(String(write.id, radix: 16)) belongs to a write of another key: use a new id per write"
            )
        case .unknown:
            guard write.isResend else { return nil }
            throw TesseraError(
                .invalidRequest,
                "node \(selfID) does not know write id \(String(write.id, radix: 16)) (it restarted or forgot it): "
                    + "the first attempt may or may not have been applied; not applied again"
            )
        }
    }

    /// As `issueVersion(above:wallMillis:)`, and remembers the version for the idempotent write `writeID` of
    /// `key` (nil: a write without an id), so a resend gets it again.
    public mutating func issueVersion(
        above seen: Version?,
        wallMillis: UInt64,
        remembering writeID: UInt64?,
        key: [UInt8]
    ) -> Version {
        let version = issueVersion(above: seen, wallMillis: wallMillis)
        if let writeID { writeVersions.remember(writeID, key: key, version: version) }
        return version
    }
}
