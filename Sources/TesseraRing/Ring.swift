public import TesseraCore

/// The consistent-hash ring: which node owns which token ranges, and the preference list of a key.
///
/// A token `t` of node X owns the range `(previous token, t]`. A key belongs to the first token at or after
/// `Murmur3.token(for: key)` (clockwise, wrapping), and its replicas are the first N *distinct physical* nodes
/// met walking clockwise from there, skipping further tokens of nodes already chosen.
///
/// Every node builds the ring from the static member list with `init(members:virtualNodes:)`; allocation is
/// deterministic (see `TokenAllocator`), so all nodes agree without gossip. A value type: immutable once built,
/// safe to share between threads.
public struct Ring: Sendable, Equatable, CustomStringConvertible {
    /// Virtual nodes (tokens) per node by default. With the balancing allocator, 8 already keeps the largest
    /// primary share within 1.10x of the mean for 3 to 10 nodes; 16 is the smallest count that also keeps
    /// the replicated (N = 3) shares within about 1.11x, and the primary ones within 1.05x (measured in
    /// docs/consistency.md; checked by `RingBalanceTests`).
    public static let defaultVirtualNodes = 16

    /// Members in the order given (for `init(tokens:)`: sorted by name).
    public let members: [NodeID]
    /// All tokens, ascending.
    let sortedTokens: [Token]
    /// `owners[i]` is the index into `members` of the node owning `sortedTokens[i]`.
    private let owners: [Int]
    /// Number of members that own at least one token: the longest possible preference list.
    private let owningMembers: Int

    /// Allocates tokens for `members`, one node after another in list order (deterministic: the same list
    /// and `virtualNodes` give the same ring on every node; appending a node changes no existing token).
    /// - Precondition: member names are distinct and `virtualNodes >= 1`.
    public init(members: [NodeID], virtualNodes: Int = Ring.defaultVirtualNodes) {
        let allocated = TokenAllocator.allocate(members: members, virtualNodes: virtualNodes)
        var pairs: [(Token, Int)] = []
        pairs.reserveCapacity(members.count * virtualNodes)
        for (index, tokens) in allocated.enumerated() {
            for token in tokens { pairs.append((token, index)) }
        }
        pairs.sort { $0.0 < $1.0 }
        self.members = members
        self.sortedTokens = pairs.map(\.0)
        self.owners = pairs.map(\.1)
        self.owningMembers = Set(self.owners).count
    }

    /// Rebuilds a ring from tokens fetched over the wire or stored on disk. Members are sorted by name.
    /// A token claimed by two nodes goes to the smaller name (use `Ring.validate(tokens:)` first to reject
    /// such input with a message); a node with no tokens is a member that owns nothing.
    public init(tokens: [NodeID: [Token]]) {
        let members = tokens.keys.sorted()
        var pairs: [(Token, Int)] = []
        for (index, node) in members.enumerated() {
            for token in tokens[node] ?? [] { pairs.append((token, index)) }
        }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var sorted: [Token] = []
        var owners: [Int] = []
        sorted.reserveCapacity(pairs.count)
        owners.reserveCapacity(pairs.count)
        for (token, owner) in pairs where sorted.last != token {
            sorted.append(token)
            owners.append(owner)
        }
        self.members = members
        self.sortedTokens = sorted
        self.owners = owners
        self.owningMembers = Set(owners).count
    }

    /// The largest `virtualNodes` accepted by `validate(members:virtualNodes:)`.
    public static let maxVirtualNodes = 256

    /// Throws `TesseraError.invalidRequest` unless `init(members:virtualNodes:)` would accept the input: at least
    /// one member, valid and distinct names with distinct tags, and 1...`maxVirtualNodes` virtual nodes.
    /// Call it on configuration input; the initializer itself only has preconditions.
    public static func validate(members: [NodeID], virtualNodes: Int) throws(TesseraError) {
        guard !members.isEmpty else { throw TesseraError(.invalidRequest, "the member list is empty") }
        guard (1...maxVirtualNodes).contains(virtualNodes) else {
            throw TesseraError(
                .invalidRequest,
                "virtual nodes must be between 1 and \(maxVirtualNodes), got \(virtualNodes)"
            )
        }
        var seen: Set<NodeID> = []
        for node in members where !seen.insert(node).inserted {
            throw TesseraError(.invalidRequest, "node '\(node)' is listed twice in the member list")
        }
        try NodeID.checkDistinctTags(members)
    }

    /// Throws `TesseraError.invalidRequest` if a token is claimed twice (by one node or two).
    public static func validate(tokens: [NodeID: [Token]]) throws(TesseraError) {
        var seen: [Token: NodeID] = [:]
        for node in tokens.keys.sorted() {
            for token in tokens[node] ?? [] {
                if let other = seen[token] {
                    throw TesseraError(.invalidRequest, "token \(token) is claimed by both \(other) and \(node)")
                }
                seen[token] = node
            }
        }
    }

    /// The tokens of `node`, ascending (empty for a non-member).
    public func tokens(of node: NodeID) -> [Token] {
        guard let index = members.firstIndex(of: node) else { return [] }
        var result: [Token] = []
        for (i, owner) in owners.enumerated() where owner == index { result.append(sortedTokens[i]) }
        return result
    }

    /// Every member's tokens, ascending per node.
    public var allTokens: [NodeID: [Token]] {
        var result: [NodeID: [Token]] = [:]
        for node in members { result[node] = [] }
        for (i, owner) in owners.enumerated() { result[members[owner], default: []].append(sortedTokens[i]) }
        return result
    }

    /// Number of tokens on the ring.
    public var tokenCount: Int { sortedTokens.count }

    /// The index into the sorted tokens of the token owning `token`: the first at or after it, wrapping.
    func ownerIndex(of token: Token) -> Int {
        var low = 0
        var high = sortedTokens.count
        while low < high {
            let mid = (low + high) / 2
            if sortedTokens[mid] < token { low = mid + 1 } else { high = mid }
        }
        return low == sortedTokens.count ? 0 : low
    }

    /// The replicas of `key`: up to `replicationFactor` distinct physical nodes, clockwise from the key's token.
    /// The first is the key's primary owner. Count = min(replicationFactor, nodes owning tokens).
    public func preferenceList(for key: [UInt8], replicationFactor: Int) -> [NodeID] {
        preferenceList(forToken: Murmur3.token(for: key), replicationFactor: replicationFactor)
    }

    /// The replicas of a token (see `preferenceList(for:replicationFactor:)`).
    public func preferenceList(forToken token: Token, replicationFactor: Int) -> [NodeID] {
        let wanted = min(replicationFactor, owningMembers)
        guard wanted > 0 else { return [] }
        var result: [NodeID] = []
        result.reserveCapacity(wanted)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: wanted) { chosen in
            var found = 0
            var i = ownerIndex(of: token)
            // Every owning member is met within one turn, so the loop ends with `wanted` nodes.
            while found < wanted {
                let owner = owners[i]
                var seen = false
                for c in 0..<found where chosen[c] == owner {
                    seen = true
                    break
                }
                if !seen {
                    chosen[found] = owner
                    found += 1
                    result.append(members[owner])
                }
                i += 1
                if i == sortedTokens.count { i = 0 }
            }
        }
        return result
    }

    /// The primary owner of a token (nil on an empty ring).
    public func primary(forToken token: Token) -> NodeID? {
        sortedTokens.isEmpty ? nil : members[owners[ownerIndex(of: token)]]
    }

    /// Each member's share of the token space as primary owner; sums to 1 (every member is present, with 0
    /// if it owns no token; an empty ring gives an empty dictionary).
    public func ownership() -> [NodeID: Double] {
        var result: [NodeID: Double] = [:]
        for node in members { result[node] = 0 }
        guard !sortedTokens.isEmpty else { return result }
        if sortedTokens.count == 1 {
            result[members[owners[0]]] = 1
            return result
        }
        var positions: [UInt64] = []
        positions.reserveCapacity(sortedTokens.count)
        for token in sortedTokens { positions.append(RingPosition.of(token)) }
        for i in positions.indices {
            let length = TokenAllocator.rangeLength(positions, i)
            result[members[owners[i]], default: 0] += Double(length) / RingPosition.fullRing
        }
        return result
    }

    /// Each member's share of the keys it stores as one of `replicationFactor` replicas; sums to
    /// min(replicationFactor, members owning tokens).
    public func replicatedOwnership(replicationFactor: Int) -> [NodeID: Double] {
        var result: [NodeID: Double] = [:]
        for node in members { result[node] = 0 }
        guard !sortedTokens.isEmpty else { return result }
        var positions: [UInt64] = []
        for token in sortedTokens { positions.append(RingPosition.of(token)) }
        for i in positions.indices {
            let length = positions.count == 1 ? RingPosition.fullRing : Double(TokenAllocator.rangeLength(positions, i))
            for node in preferenceList(forToken: sortedTokens[i], replicationFactor: replicationFactor) {
                result[node, default: 0] += length / RingPosition.fullRing
            }
        }
        return result
    }

    /// Equal when the same tokens belong to the same nodes (member order does not matter).
    public static func == (lhs: Ring, rhs: Ring) -> Bool {
        lhs.sortedTokens == rhs.sortedTokens && Set(lhs.members) == Set(rhs.members)
            && zip(lhs.owners, rhs.owners).allSatisfy { lhs.members[$0] == rhs.members[$1] }
    }

    public var description: String {
        "Ring(\(members.count) nodes, \(sortedTokens.count) tokens)"
    }
}
