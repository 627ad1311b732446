/// The states of a kv string register, as ids of canonical strings built by appends, without building the
/// strings in the search.
///
/// A state is a node: a literal piece (a put value, a get result, the initial value) or (parent node, appended
/// piece). Each node carries its length and a polynomial hash of its bytes, so `append` is O(1): the child of
/// (node, piece) is memoized, and a new child is first looked up by (length, hash) among existing nodes, which
/// are compared byte for byte on a match (only when the same string is reached two ways). So every distinct
/// string has exactly one node, and `get` is an integer comparison against the node of its result.
struct StringStates: Sendable {
    private var pieces: [[UInt8]] = []
    private var pieceIDs: [String: Int32] = [:]
    private var pieceHash: [UInt64] = []
    private var piecePower: [UInt64] = []

    private var parent: [Int32] = []
    private var piece: [Int32] = []
    private var length: [Int] = []
    private var hash: [UInt64] = []
    /// (length, hash) -> the first node with that content key; `sameContent` chains the others.
    private var byContent = IntMap()
    private var sameContent: [Int32] = []
    private var rootOfPiece: [Int32] = []
    private var children = IntMap()

    private static let base: UInt64 = 0x0000_0100_0000_01B3

    /// The id of a literal piece (for `append`).
    mutating func pieceID(_ s: String) -> Int32 {
        if let id = pieceIDs[s] { return id }
        let bytes = Array(s.utf8)
        var h: UInt64 = 0
        var p: UInt64 = 1
        for b in bytes {
            h = h &* Self.base &+ UInt64(b)
            p = p &* Self.base
        }
        let id = Int32(pieces.count)
        pieces.append(bytes)
        pieceHash.append(h)
        piecePower.append(p)
        rootOfPiece.append(-1)
        pieceIDs[s] = id
        return id
    }

    /// The node (state) of a literal string (for `put`, `get` results, the initial value).
    mutating func node(_ s: String) -> Int32 {
        let p = pieceID(s)
        if rootOfPiece[Int(p)] >= 0 { return rootOfPiece[Int(p)] }
        let n = intern(parent: -1, piece: p, length: pieces[Int(p)].count, hash: pieceHash[Int(p)])
        rootOfPiece[Int(p)] = n
        return n
    }

    /// The node of `node`'s string followed by piece `p`.
    @inline(__always)
    mutating func append(_ node: Int32, _ p: Int32) -> Int32 {
        let key = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(UInt32(bitPattern: p))
        if let c = children.get(key) { return c }
        let c = intern(
            parent: node,
            piece: p,
            length: length[Int(node)] + pieces[Int(p)].count,
            hash: hash[Int(node)] &* piecePower[Int(p)] &+ pieceHash[Int(p)]
        )
        children.set(key, c)
        return c
    }

    private mutating func intern(parent par: Int32, piece p: Int32, length len: Int, hash h: UInt64) -> Int32 {
        let key = h ^ (UInt64(len) &* 0xC2B2_AE3D_27D4_EB4F)
        let first = byContent.get(key) ?? -1
        var c = first
        if c >= 0 {
            let mine = bytes(parent: par, piece: p)
            while c >= 0 {
                if length[Int(c)] == len && hash[Int(c)] == h && bytes(of: c) == mine { return c }
                c = sameContent[Int(c)]
            }
        }
        let id = Int32(parent.count)
        parent.append(par)
        piece.append(p)
        length.append(len)
        hash.append(h)
        sameContent.append(first)
        byContent.set(key, id)
        return id
    }

    private func bytes(parent par: Int32, piece p: Int32) -> [UInt8] {
        (par >= 0 ? bytes(of: par) : []) + pieces[Int(p)]
    }

    /// The bytes of a node's string.
    func bytes(of node: Int32) -> [UInt8] {
        var chain: [Int32] = []
        var n = node
        while n >= 0 {
            chain.append(piece[Int(n)])
            n = parent[Int(n)]
        }
        var out: [UInt8] = []
        out.reserveCapacity(length[Int(node)])
        for p in chain.reversed() { out += pieces[Int(p)] }
        return out
    }

    /// The string of a node.
    func string(of node: Int32) -> String { String(decoding: bytes(of: node), as: UTF8.self) }

    /// The string of a piece.
    func string(piece p: Int32) -> String { String(decoding: pieces[Int(p)], as: UTF8.self) }

    /// Rough bytes held, for the memory limit.
    var approximateBytes: Int {
        parent.count * 32 + children.approximateBytes + byContent.approximateBytes + pieces.count * 64
    }
}
