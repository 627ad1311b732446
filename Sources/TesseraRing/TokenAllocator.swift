import TesseraCore

/// Deterministic, balancing token allocation for a static member list.
///
/// Nodes are allocated one after another in list order; each node's tokens are chosen against the ring built
/// so far and existing tokens never move. So every node computes the same ring from the same list, and a
/// node appended to the list takes about 1/(n+1) of the token space (only keys in those ranges move).
///
/// The first node gets `virtualNodes` tokens from a `SplitMix64` seeded by the Murmur3 hash of its name.
/// Each later node (the k-th) needs a share of 1/k. It places its tokens one at a time, greedily, in the
/// spirit of Cassandra 4's `allocate_tokens_for_local_replication_factor` but over primary ranges only:
///  1. the donor is the existing node whose share exceeds 1/k the most (ties: earlier in the list);
///  2. the new token splits the donor's largest range `(p, t]` at `p + a`, so the new node takes
///     `(p, p + a]` and the donor keeps `(p + a, t]`;
///  3. `a` is the new node's remaining need divided by its remaining tokens, capped by the donor's excess
///     and by the range's length.
/// Because every piece comes from the most over-allocated node, shares converge on 1/k; the measured
/// balance is in docs/consistency.md. Departure from Cassandra: Cassandra optimises the *replicated*
/// ownership for a replication factor and picks among candidate splits; we balance primary ownership,
/// which is what `Ring.ownership()` reports and what the 1.10x target is stated in.
enum TokenAllocator {
    /// Tokens for `members` in list order; `result[i]` belongs to `members[i]`, sorted ascending.
    /// - Precondition: `virtualNodes >= 1`, names distinct.
    static func allocate(members: [NodeID], virtualNodes: Int) -> [[Token]] {
        precondition(virtualNodes >= 1, "virtualNodes must be at least 1, got \(virtualNodes)")
        precondition(Set(members).count == members.count, "duplicate member in \(members)")
        var positions: [UInt64] = []  // sorted ring positions
        var owners: [Int] = []  // owners[i] = index into members of positions[i]
        var result: [[Token]] = []
        var shares: [Double] = []  // fraction of the ring per member allocated so far

        for (index, node) in members.enumerated() {
            if index == 0 {
                var rng = SplitMix64(seed: seed(for: node))
                var chosen = Set<UInt64>()
                while chosen.count < virtualNodes {
                    let p = rng.next()
                    if p != 0 { chosen.insert(p) }  // position 0 is Int64.min: keep it free, as Cassandra does
                }
                positions = chosen.sorted()
                owners = Array(repeating: 0, count: positions.count)
                shares = [1.0]
                result.append(positions.map(RingPosition.token))
                continue
            }
            let k = Double(index + 1)
            let target = 1.0 / k
            shares.append(0)
            var mine: [UInt64] = []
            for placed in 0..<virtualNodes {
                let need = target - shares[index]
                let tokensLeft = Double(virtualNodes - placed)
                // Most over-allocated existing node.
                var donor = 0
                for d in 1..<index where shares[d] - target > shares[donor] - target { donor = d }
                let excess = shares[donor] - target
                // The donor's largest range (p, t]: t = positions[i], p = positions[i - 1] (wrapping).
                var best = -1
                var bestLength: UInt64 = 0
                for i in 0..<positions.count where owners[i] == donor {
                    let length = rangeLength(positions, i)
                    if best < 0 || length > bestLength {
                        best = i
                        bestLength = length
                    }
                }
                guard best >= 0, bestLength >= 2 else { break }  // nothing left to split (degenerate tiny rings)
                let wanted = max(0, min(need / tokensLeft, excess)) * RingPosition.fullRing
                var amount = UInt64(min(wanted, Double(bestLength - 1)).rounded())
                amount = max(1, min(amount, bestLength - 1))
                let previous = positions[(best + positions.count - 1) % positions.count]
                var position = previous &+ amount
                if position == 0 {  // never place a token on Int64.min
                    guard amount + 1 < bestLength else { continue }
                    position = 1
                    amount += 1
                }
                let insertAt = insertionIndex(positions, position)
                positions.insert(position, at: insertAt)
                owners.insert(index, at: insertAt)
                mine.append(position)
                let moved = Double(amount) / RingPosition.fullRing
                shares[index] += moved
                shares[donor] -= moved
            }
            result.append(mine.sorted().map(RingPosition.token))
        }
        return result
    }

    /// Length of the range ending at `positions[i]`; a lone token owns the whole ring (returned as UInt64.max).
    static func rangeLength(_ positions: [UInt64], _ i: Int) -> UInt64 {
        if positions.count == 1 { return .max }
        let previous = positions[(i + positions.count - 1) % positions.count]
        return positions[i] &- previous
    }

    /// First index whose position is >= `position` (positions.count if none).
    static func insertionIndex(_ positions: [UInt64], _ position: UInt64) -> Int {
        var low = 0
        var high = positions.count
        while low < high {
            let mid = (low + high) / 2
            if positions[mid] < position { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The seed of a node's generator: the first half of the reference Murmur3 of its UTF-8 name.
    static func seed(for node: NodeID) -> UInt64 {
        Array(node.name.utf8).withUnsafeBytes { Murmur3.hash128($0, seed: 0).0 }
    }
}
