import TesseraCluster
import TesseraCore
import TesseraRing
import TesseraStorage
import TesseraWire

/// The storage side of anti-entropy: one pass over the engine's keys (`StorageEngine.forEach`, newest cell per
/// key, tombstones included) per question. Blocking: run it on the storage thread pool.
enum ReplicaScanner {
    /// One Merkle tree per range.
    static func trees(_ engine: StorageEngine, ranges: [TokenRange], depth: Int) throws(StorageError) -> [MerkleTree] {
        var forest = MerkleForest(ranges: ranges, depth: depth)
        try engine.forEach(from: [], to: nil, includeTombstones: true) { key, cell in
            forest.add(key: key, version: cell.version)
            return true
        }
        return forest.finish()
    }

    /// Every key in `ranges` with its newest cell; throws if they would not fit one reply frame.
    static func cells(_ engine: StorageEngine, ranges: [TokenRange], maxBytes: Int) throws -> [KeyCell] {
        let index = TokenRangeIndex(ranges)
        var result: [KeyCell] = []
        var bytes = 0
        try engine.forEach(from: [], to: nil, includeTombstones: true) { key, cell in
            guard index.contains(Murmur3.token(for: key)) else { return true }
            result.append(KeyCell(key: key, cell: cell))
            bytes += key.count + (cell.value?.count ?? 0) + 24
            return bytes <= maxBytes
        }
        if bytes > maxBytes {
            throw TesseraError(
                .invalidRequest,
                "the keys of \(ranges.count) differing ranges exceed \(maxBytes) bytes; repair with a deeper tree "
                    + "(--depth) so that differing slices are smaller"
            )
        }
        return result
    }

    /// Keys, tombstones and the digest (wrapping sum of `MerkleTree.entryHash`) per range; the whole ring as one
    /// range when `ranges` is empty.
    static func digests(_ engine: StorageEngine, ranges: [TokenRange]) throws(StorageError) -> [WireRangeDigest] {
        let ranges = ranges.isEmpty ? [TokenRange.full] : ranges
        let index = TokenRangeIndex(ranges)
        var keys = [UInt64](repeating: 0, count: ranges.count)
        var tombstones = [UInt64](repeating: 0, count: ranges.count)
        var digests = [UInt64](repeating: 0, count: ranges.count)
        try engine.forEach(from: [], to: nil, includeTombstones: true) { key, cell in
            guard let i = index.find(Murmur3.token(for: key)) else { return true }
            keys[i] += 1
            if cell.isTombstone { tombstones[i] += 1 }
            digests[i] &+= MerkleTree.entryHash(key: key, version: cell.version)
            return true
        }
        return ranges.indices.map {
            WireRangeDigest(
                range: WireTokenRange(start: ranges[$0].start, end: ranges[$0].end),
                keys: keys[$0],
                tombstones: tombstones[$0],
                digest: digests[$0]
            )
        }
    }
}
