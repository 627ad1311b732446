/// Where `Block.search` landed: the first entry whose key is >= the target.
struct BlockSearchResult {
    /// True if that entry's key equals the target.
    var exact: Bool
    var valueOffset: Int
    var valueLength: Int
}

extension Block {
    /// Finds the first entry whose key is >= `target` without rebuilding keys or allocating: a binary search
    /// over the restart points (memcmp), then a forward scan that tracks how many leading bytes the previous
    /// key shares with the target. Because keys increase, an entry that shares fewer bytes with its
    /// predecessor than the predecessor shared with the target must sort after the target; one that shares
    /// more sorts before it; only entries that share exactly that many bytes need their suffix compared
    /// (restart points, stored whole, are compared whole).
    /// Returns nil if every key is < `target`.
    func search(_ target: UnsafeRawBufferPointer) throws(BlockCorruption) -> BlockSearchResult? {
        let restartsOffset = self.restartsOffset
        if restartsOffset == 0 { return nil }
        var failure: BlockCorruption?
        let result: BlockSearchResult? = data.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let limit = base + restartsOffset
            let t = target.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? base
            let tCount = target.count

            // Last restart point whose key is < target (or 0).
            var left = 0
            var right = numRestarts - 1
            while left < right {
                let mid = (left + right + 1) >> 1
                let offset = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: restartsOffset + 4 * mid, as: UInt32.self)))
                guard offset < restartsOffset,
                    let (shared, p1) = decodeVarint32(base + offset, limit),
                    let (nonShared, p2) = decodeVarint32(p1, limit),
                    let (_, p3) = decodeVarint32(p2, limit),
                    shared == 0, Int(nonShared) <= limit - p3
                else {
                    failure = BlockCorruption(offset: restartsOffset + 4 * mid, reason: "bad restart point \(mid)")
                    return nil
                }
                if KeyComparison.compare(UnsafeRawPointer(p3), Int(nonShared), UnsafeRawPointer(t), tCount) < 0 {
                    left = mid
                } else {
                    right = mid - 1
                }
            }
            let start = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: restartsOffset + 4 * left, as: UInt32.self)))
            guard start < restartsOffset else {
                failure = BlockCorruption(offset: restartsOffset + 4 * left, reason: "restart point \(left) out of range")
                return nil
            }
            var p = base + start
            // Length of the common prefix of the previous key and the target (the previous key is < target).
            var matched = 0
            var previousLength = 0
            var first = true
            while p < limit {
                guard let (s32, p1) = decodeVarint32(p, limit),
                    let (n32, p2) = decodeVarint32(p1, limit),
                    let (v32, q) = decodeVarint32(p2, limit)
                else {
                    failure = BlockCorruption(offset: p - base, reason: "bad entry header")
                    return nil
                }
                let s = Int(s32), n = Int(n32), v = Int(v32)
                guard s <= previousLength, n + v <= limit - q, !first || s == 0 else {
                    failure = BlockCorruption(offset: p - base, reason: "bad entry header")
                    return nil
                }
                let valueOffset = q + n - base
                if s == 0 {
                    // A restart point stores its key whole (shared is 0 whatever the keys share): compare it whole.
                    matched = 0
                } else if s < matched {
                    // Differs from the target where it differs from the previous key, upward: key > target.
                    return BlockSearchResult(exact: false, valueOffset: valueOffset, valueLength: v)
                }
                if s == matched {
                    let rest = tCount - matched
                    let m = Swift.min(n, rest)
                    var c = 0
                    while c < m && q[c] == t[matched + c] { c += 1 }
                    if c < m {
                        if q[c] > t[matched + c] {
                            return BlockSearchResult(exact: false, valueOffset: valueOffset, valueLength: v)
                        }
                        matched += c
                    } else if n == rest {
                        return BlockSearchResult(exact: true, valueOffset: valueOffset, valueLength: v)
                    } else if n > rest {
                        // The target is a proper prefix of this key: key > target.
                        return BlockSearchResult(exact: false, valueOffset: valueOffset, valueLength: v)
                    } else {
                        matched += n
                    }
                }
                // Otherwise s > matched: the key sorts before the target like its predecessor.
                first = false
                previousLength = s + n
                p = q + n + v
            }
            return nil
        }
        if let failure { throw failure }
        return result
    }

    /// `search` for an array target.
    @inline(__always)
    func search(_ target: [UInt8]) throws(BlockCorruption) -> BlockSearchResult? {
        var failure: BlockCorruption?
        let r: BlockSearchResult? = target.withUnsafeBytes { t in
            do throws(BlockCorruption) { return try search(t) } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return r
    }
}
