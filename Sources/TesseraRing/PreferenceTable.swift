public import TesseraCore

/// Every token range's preference list for one replication factor, computed once from a `Ring`: a lookup is a
/// binary search that returns a shared array, with no walk around the ring and no allocation per request.
///
/// Built where a ring is used for every request (a node's coordinator, the client's routing table). Memory:
/// one list of `min(replicationFactor, owning members)` nodes per token (48 lists of 3 for 3 nodes of 16
/// virtual nodes). Answers exactly what `Ring.preferenceList(forToken:replicationFactor:)` does.
public struct PreferenceTable: Sendable {
    /// The ring the lists come from.
    public let ring: Ring
    /// The length asked for (lists are shorter when fewer members own tokens).
    public let replicationFactor: Int
    /// `lists[i]`: the preference list of the range ending at the ring's i-th sorted token.
    private let lists: [[NodeID]]

    public init(ring: Ring, replicationFactor: Int) {
        self.ring = ring
        self.replicationFactor = replicationFactor
        self.lists = ring.sortedTokens.map { ring.preferenceList(forToken: $0, replicationFactor: replicationFactor) }
    }

    /// The replicas of `token` (as `Ring.preferenceList(forToken:replicationFactor:)`).
    public func preferenceList(forToken token: Token) -> [NodeID] {
        lists.isEmpty ? [] : lists[ring.ownerIndex(of: token)]
    }

    /// The replicas of `key` (as `Ring.preferenceList(for:replicationFactor:)`).
    public func preferenceList(for key: [UInt8]) -> [NodeID] {
        preferenceList(forToken: Murmur3.token(for: key))
    }
}
