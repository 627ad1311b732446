/// The set of configurations already explored: (set of linearized operations, model state).
///
/// A configuration is stored as its parent configuration plus the one operation linearized last (the search
/// only ever extends a stored configuration by one op), so an entry is a fixed 24 bytes (plus 8 of slots)
/// instead of a bitset of all the partition's ops: on a history of 84,000 ops per key that is 32 bytes per
/// configuration instead of 10 KB. Two configurations are equal when their hashes, states and sizes agree and
/// every op on the stored one's chain of parents is in the current set; the walk stops where the chain meets
/// the configurations on the search's current stack, so it costs the length of the detour, not the depth.
///
/// Open addressing over entry indices in flat arrays; every doubling is reserved against the memory budget
/// first. The hash is supplied by the caller (incremental Zobrist hash of the set mixed with the state).
struct StateCache {
    private var slots: [Int32] = []
    private var mask = 0
    private var hashes: [UInt64] = []
    private var states: [Int32] = []
    private var parents: [Int32] = []
    private var ops: [Int32] = []
    private var depths: [Int32] = []
    private var capacity = 0
    private(set) var count = 0
    /// Bytes reserved against the control's budget.
    private(set) var bytes = 0

    /// Bytes one entry costs: hash, state, parent, op, depth, and two slots (load factor 1/2).
    static let entryBytes = 8 + 4 + 4 + 4 + 4 + 8

    /// Inserts the configuration `parent` + `op` (`depth` ops in all, with `bitset` the set and `path[k]` the
    /// entry of the current stack's configuration of `k + 1` ops). Returns the new entry's index, -1 if it was
    /// already present, -2 if the memory budget refused to grow (nothing inserted).
    @inline(__always)
    mutating func insert(
        hash: UInt64,
        state: Int32,
        parent: Int32,
        op: Int32,
        depth: Int32,
        bitset: UnsafePointer<UInt64>,
        path: UnsafePointer<Int32>,
        control: SearchControl
    ) -> Int32 {
        if count == capacity {
            if !grow(control: control) { return -2 }
        }
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            let e = Int(s)
            if hashes[e] == hash && states[e] == state && depths[e] == depth && same(e, bitset, path) { return -1 }
            i = (i + 1) & mask
        }
        let id = Int32(count)
        slots[i] = id
        hashes.append(hash)
        states.append(state)
        parents.append(parent)
        ops.append(op)
        depths.append(depth)
        count += 1
        return id
    }

    /// Whether entry `e` holds exactly the ops of `bitset` (same size known): every op on its chain is in the
    /// set, up to the first entry that is also on the current path (below it the two agree).
    private func same(_ e: Int, _ bitset: UnsafePointer<UInt64>, _ path: UnsafePointer<Int32>) -> Bool {
        var x = Int32(e)
        while x >= 0 {
            let d = Int(depths[Int(x)])
            if d >= 2 && path[d - 2] == parents[Int(x)] {
                // The parent is on the current path: only this entry's own op remains to compare.
                let o = Int(ops[Int(x)])
                return bitset[o >> 6] & (1 << UInt64(o & 63)) != 0
            }
            let o = Int(ops[Int(x)])
            if bitset[o >> 6] & (1 << UInt64(o & 63)) == 0 { return false }
            x = parents[Int(x)]
        }
        return true
    }

    private mutating func grow(control: SearchControl) -> Bool {
        let newCapacity = capacity == 0 ? 64 : capacity * 2
        let add = (newCapacity - capacity) * Self.entryBytes
        if !control.reserve(bytes: add) { return false }
        bytes += add
        capacity = newCapacity
        hashes.reserveCapacity(newCapacity)
        states.reserveCapacity(newCapacity)
        parents.reserveCapacity(newCapacity)
        ops.reserveCapacity(newCapacity)
        depths.reserveCapacity(newCapacity)
        let slotCount = newCapacity * 2
        slots = [Int32](repeating: -1, count: slotCount)
        mask = slotCount - 1
        for e in 0..<count {
            var i = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(e)
        }
        return true
    }
}
