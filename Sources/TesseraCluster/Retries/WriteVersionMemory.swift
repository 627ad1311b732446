public import TesseraCore
import TesseraRing

/// The versions a coordinator gave recent idempotent writes, by the client's write id: a bounded table that
/// forgets the oldest entry when full (first in, first out). Pure state, kept in `NodeCoordinator`.
///
/// Each entry also keeps the key's token, so a resend that names a known id with another key is told apart
/// (a client bug, refused) instead of writing that key with the other write's version. The table is in
/// memory: a coordinator that restarts, or that has seen `capacity` newer writes since, no longer knows the id,
/// and then refuses a resend (`NodeCoordinator.resolveVersion`), never issues a second version for it.
public struct WriteVersionMemory: Sendable {
    /// The most ids remembered.
    public let capacity: Int

    private struct Entry: Sendable {
        var keyToken: Int64
        var version: Version
    }

    private var entries: [UInt64: Entry] = [:]
    /// Ids in insertion order, as a ring buffer of `capacity` slots (0: empty slot).
    private var order: [UInt64]
    private var next = 0

    /// - Precondition: `capacity >= 1`.
    public init(capacity: Int) {
        precondition(capacity >= 1, "a write-version memory needs room for at least one id")
        self.capacity = capacity
        self.order = []
    }

    /// Ids remembered now.
    public var count: Int { entries.count }

    /// What the memory knows about `id` for `key`.
    public enum Lookup: Sendable, Equatable {
        /// Never seen, or forgotten.
        case unknown
        /// Given this version, for this key.
        case known(Version)
        /// Known, but for another key.
        case otherKey
    }

    public func lookup(_ id: UInt64, key: [UInt8]) -> Lookup {
        guard let entry = entries[id] else { return .unknown }
        return entry.keyToken == Murmur3.token(for: key) ? .known(entry.version) : .otherKey
    }

    /// `lookup(_:key:)` for a key whose ring token (`Murmur3.token(for:)`) the caller computed already.
    public func lookup(_ id: UInt64, keyToken: Int64) -> Lookup {
        guard let entry = entries[id] else { return .unknown }
        return entry.keyToken == keyToken ? .known(entry.version) : .otherKey
    }

    /// Remembers that `id` (for `key`) has `version`; forgets the oldest id when full. Remembering a known id
    /// again keeps its first version.
    public mutating func remember(_ id: UInt64, key: [UInt8], version: Version) {
        remember(id, keyToken: Murmur3.token(for: key), version: version)
    }

    /// `remember(_:key:version:)` for a key whose ring token the caller computed already.
    public mutating func remember(_ id: UInt64, keyToken: Int64, version: Version) {
        guard entries[id] == nil else { return }
        if order.count < capacity {
            order.append(id)
        } else {
            entries.removeValue(forKey: order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
        entries[id] = Entry(keyToken: keyToken, version: version)
    }
}
