public import TesseraCore
public import TesseraRing

/// One Merkle tree per token range, built in a single pass over a replica's keys (the storage engine's
/// key-ordered scan): each key goes to the tree whose range holds its token; keys outside every range are
/// skipped.
public struct MerkleForest: Sendable {
    /// Trees in the order of the ranges given.
    public private(set) var trees: [MerkleTree]
    private let index: TokenRangeIndex

    /// - Precondition: the ranges do not overlap.
    public init(ranges: [TokenRange], depth: Int) {
        trees = ranges.map { MerkleTree(range: $0, depth: depth) }
        index = TokenRangeIndex(ranges)
    }

    /// Adds one key with the version of its newest cell (tombstones included: they are data too).
    public mutating func add(key: [UInt8], version: Version) {
        let token = Murmur3.token(for: key)
        guard let i = index.find(token) else { return }
        trees[i].add(token: token, key: key, version: version)
    }

    /// Finishes every tree; returns them.
    public mutating func finish() -> [MerkleTree] {
        for i in trees.indices { trees[i].finish() }
        return trees
    }
}

/// Which of a set of non-overlapping token ranges holds a token, by binary search over their ends.
public struct TokenRangeIndex: Sendable {
    private let ends: [(end: Token, position: Int)]
    private let ranges: [TokenRange]
    /// Ranges that wrap past Int64.max (or cover the ring): at most one among non-overlapping ranges.
    private let wrapping: [Int]

    public init(_ ranges: [TokenRange]) {
        self.ranges = ranges
        ends = ranges.enumerated().map { ($0.element.end, $0.offset) }.sorted { $0.end < $1.end }
        wrapping = ranges.indices.filter { ranges[$0].start >= ranges[$0].end }
    }

    /// The position (in the list given) of the range holding `token`, nil if none does.
    public func find(_ token: Token) -> Int? {
        guard !ends.isEmpty else { return nil }
        var low = 0
        var high = ends.count
        while low < high {
            let mid = (low + high) / 2
            if ends[mid].end < token { low = mid + 1 } else { high = mid }
        }
        // The first range ending at or after the token; a wrapping range may end before it.
        let candidate = ends[low == ends.count ? 0 : low].position
        if ranges[candidate].contains(token) { return candidate }
        for position in wrapping where ranges[position].contains(token) { return position }
        return nil
    }

    /// True if some range holds `token`.
    public func contains(_ token: Token) -> Bool { find(token) != nil }
}
