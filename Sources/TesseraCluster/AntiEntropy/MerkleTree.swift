public import TesseraCore
public import TesseraRing

/// A Merkle tree over one token range of one replica, as Cassandra builds them for repair: the range is cut
/// into `2^depth` equal slices (leaves); a leaf's hash combines the hashes of the (key, version) pairs in it,
/// an inner node's hash its two children's. Two replicas whose trees agree at a node hold the same keys at
/// the same versions in that node's slices (up to 64-bit hash collisions).
///
/// A leaf combines its entries by wrapping addition, so the keys can come in any order (the storage engine
/// returns them sorted by key, not by token) and building is one pass with O(leaves) memory.
public struct MerkleTree: Hashable, Sendable {
    /// The deepest tree: 2^16 leaves (Cassandra caps repair trees at depth 20; 16 keeps one 64-range repair
    /// message under the frame limit).
    public static let maxDepth = 16

    public let range: TokenRange
    public let depth: Int
    /// Heap layout: node 0 is the root, node i's children are 2i+1 and 2i+2; the last `2^depth` are leaves.
    public private(set) var nodes: [UInt64]
    /// Entries per leaf.
    public private(set) var counts: [UInt32]

    public var leafCount: Int { 1 << depth }
    public var root: UInt64 { nodes[0] }
    /// Entries hashed into the tree.
    public var entryCount: Int { counts.reduce(0) { $0 + Int($1) } }

    /// An empty tree (no keys) of `2^depth` leaves over `range`.
    public init(range: TokenRange, depth: Int) {
        precondition((0...Self.maxDepth).contains(depth), "Merkle depth \(depth) out of 0...\(Self.maxDepth)")
        self.range = range
        self.depth = depth
        self.nodes = Array(repeating: 0, count: 2 * (1 << depth) - 1)
        self.counts = Array(repeating: 0, count: 1 << depth)
    }

    /// A tree from its leaves (as received over the wire): inner nodes are recomputed.
    public init(range: TokenRange, depth: Int, leaves: [UInt64], counts: [UInt32]) {
        self.init(range: range, depth: depth)
        precondition(leaves.count == leafCount && counts.count == leafCount, "leaf count does not match depth")
        for i in 0..<leafCount {
            nodes[leafCount - 1 + i] = leaves[i]
            self.counts[i] = counts[i]
        }
        finish()
    }

    /// The leaf hashes, left to right.
    public var leaves: [UInt64] { Array(nodes[(leafCount - 1)...]) }

    /// Adds a key with the version of its newest cell (call `finish()` after the last).
    public mutating func add(key: [UInt8], version: Version) {
        add(token: Murmur3.token(for: key), key: key, version: version)
    }

    /// `add(key:version:)` with the key's token already computed.
    public mutating func add(token: Token, key: [UInt8], version: Version) {
        let leaf = range.slice(of: token, parts: leafCount)
        nodes[leafCount - 1 + leaf] &+= Self.entryHash(key: key, version: version)
        counts[leaf] &+= 1
    }

    /// Recomputes the inner nodes from the leaves.
    public mutating func finish() {
        guard leafCount > 1 else { return }
        for i in stride(from: leafCount - 2, through: 0, by: -1) {
            nodes[i] = Self.combine(nodes[2 * i + 1], nodes[2 * i + 2])
        }
    }

    /// The leaves where `self` and `other` differ, ascending, found by descending only into differing nodes.
    /// Trees of different ranges or depths differ everywhere.
    public func differingLeaves(_ other: MerkleTree) -> [Int] {
        guard range == other.range, depth == other.depth else { return Array(0..<leafCount) }
        var result: [Int] = []
        var stack = [0]
        while let node = stack.popLast() {
            if nodes[node] == other.nodes[node] && (node < leafCount - 1 || counts[node - leafCount + 1] == other.counts[node - leafCount + 1]) {
                continue
            }
            if node >= leafCount - 1 {
                result.append(node - (leafCount - 1))
            } else {
                stack.append(2 * node + 2)
                stack.append(2 * node + 1)
            }
        }
        return result
    }

    /// The token range of leaf `index`.
    public func leafRange(_ index: Int) -> TokenRange { range.slice(index, of: leafCount) }

    /// Leaves as token ranges, adjacent leaves merged.
    public func ranges(ofLeaves leaves: [Int]) -> [TokenRange] {
        var result: [TokenRange] = []
        var runStart: Int?
        var previous = -2
        for leaf in leaves.sorted() {
            if leaf != previous + 1 {
                if let s = runStart { result.append(TokenRange(start: leafRange(s).start, end: leafRange(previous).end)) }
                runStart = leaf
            }
            previous = leaf
        }
        if let s = runStart { result.append(TokenRange(start: leafRange(s).start, end: leafRange(previous).end)) }
        return result
    }

    // MARK: hashing

    /// The hash of one entry: FNV-1a over the key, mixed with the version (SplitMix64's finalizer).
    @inlinable
    public static func entryHash(key: [UInt8], version: Version) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return mix(h ^ mix(version.timestamp.rawValue ^ (UInt64(version.node) << 17)))
    }

    @inlinable
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func combine(_ left: UInt64, _ right: UInt64) -> UInt64 {
        if left == 0 && right == 0 { return 0 }
        return mix(left ^ mix(right &+ 0x2545_F491_4F6C_DD1D))
    }
}
