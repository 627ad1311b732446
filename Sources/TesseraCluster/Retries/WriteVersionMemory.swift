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

    /// Remembered ids in insertion order, as a ring of `capacity` slots (`next` is the oldest once full); each
    /// slot's id is kept as its `KeyHash` (a bijective mix of the id, so equal hashes mean equal ids).
    private var hashes: [KeyHash] = []
    private var keyTokens: [Int64] = []
    private var versions: [Version] = []
    private var next = 0
    /// Slot by hash: an open-addressing table (`KeyHashIndex`) instead of a `Dictionary`, whose SipHash and
    /// separate lookups (known? evict the oldest, insert) cost 1.5% of a node's put path (issue 7).
    private var index: KeyHashIndex
    /// Mixed into every id: ids come from clients, and a table with a known hash could be fed ids that all
    /// land in one probe run. It only spreads ids; what is remembered does not depend on it.
    private let seed: UInt64

    /// - Parameter seed: mixed into the hash of every id (default: random).
    /// - Precondition: `capacity >= 1`.
    public init(capacity: Int, seed: UInt64 = .random(in: .min ... .max)) {
        precondition(capacity >= 1, "a write-version memory needs room for at least one id")
        self.capacity = capacity
        self.seed = seed
        self.index = KeyHashIndex(capacity: capacity)
    }

    /// Ids remembered now.
    public var count: Int { hashes.count }

    /// What the memory knows about `id` for `key`.
    public enum Lookup: Sendable, Equatable {
        /// Never seen, or forgotten.
        case unknown
        /// Given this version, for this key.
        case known(Version)
        /// Known, but for another key.
        case otherKey
    }

    /// A bijection of the id (xor, then multiplication by an odd constant), so that ids that differ only in
    /// high bits still land apart.
    @inline(__always)
    private func hash(_ id: UInt64) -> KeyHash {
        var x = (id ^ seed) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 32
        return KeyHash(value: x)
    }

    public func lookup(_ id: UInt64, key: [UInt8]) -> Lookup {
        lookup(id, keyToken: Murmur3.token(for: key))
    }

    /// `lookup(_:key:)` for a key whose ring token (`Murmur3.token(for:)`) the caller computed already.
    public func lookup(_ id: UInt64, keyToken: Int64) -> Lookup {
        guard let slot = index.find(hash(id), hashes: hashes) else { return .unknown }
        return keyTokens[slot] == keyToken ? .known(versions[slot]) : .otherKey
    }

    /// Remembers that `id` (for `key`) has `version`; forgets the oldest id when full. Remembering a known id
    /// again keeps its first version.
    public mutating func remember(_ id: UInt64, key: [UInt8], version: Version) {
        remember(id, keyToken: Murmur3.token(for: key), version: version)
    }

    /// `remember(_:key:version:)` for a key whose ring token the caller computed already.
    public mutating func remember(_ id: UInt64, keyToken: Int64, version: Version) {
        let h = hash(id)
        guard index.find(h, hashes: hashes) == nil else { return }
        if hashes.count < capacity {
            index.insert(h, slot: hashes.count)
            hashes.append(h)
            keyTokens.append(keyToken)
            versions.append(version)
        } else {
            let slot = next
            index.remove(hashes[slot], hashes: hashes)
            hashes[slot] = h
            keyTokens[slot] = keyToken
            versions[slot] = version
            index.insert(h, slot: slot)
            next = (next + 1) % capacity
        }
    }
}
