/// The set of configurations already explored: (set of linearized operations as a bitset, model state).
///
/// Open addressing over entry indices. Entries live in flat arrays (hash, state, and `words` bitset words per
/// entry), so inserting allocates only when a table doubles, and every doubling is reserved against the memory
/// budget first. The hash is supplied by the caller (incremental Zobrist hash of the bitset mixed with the state).
struct StateCache {
    let words: Int
    private var slots: [Int32]
    private var mask: Int
    private var hashes: [UInt64] = []
    private var states: [Int32] = []
    private var bits: [UInt64] = []
    private var capacity: Int = 0
    private(set) var count = 0
    /// Bytes reserved against the control's budget.
    private(set) var bytes = 0

    init(words: Int) {
        self.words = max(words, 1)
        slots = []
        mask = 0
    }

    /// Bytes one entry costs: hash, state, bitset words, and two slots (load factor 1/2).
    private var entryBytes: Int { 8 + 4 + 8 * words + 8 }

    /// Inserts the configuration; returns 1 if it was new, 0 if it was already present, -1 if the memory budget
    /// refused to grow (nothing inserted).
    @inline(__always)
    mutating func insert(hash: UInt64, state: Int32, bitset: UnsafePointer<UInt64>, control: SearchControl) -> Int {
        if count == capacity {
            if !grow(control: control) { return -1 }
        }
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            let e = Int(s)
            if hashes[e] == hash && states[e] == state {
                var same = true
                let base = e * words
                for w in 0..<words where bits[base + w] != bitset[w] {
                    same = false
                    break
                }
                if same { return 0 }
            }
            i = (i + 1) & mask
        }
        slots[i] = Int32(count)
        hashes.append(hash)
        states.append(state)
        for w in 0..<words { bits.append(bitset[w]) }
        count += 1
        return 1
    }

    private mutating func grow(control: SearchControl) -> Bool {
        let newCapacity = capacity == 0 ? 64 : capacity * 2
        let add = (newCapacity - capacity) * entryBytes
        if !control.reserve(bytes: add) { return false }
        bytes += add
        capacity = newCapacity
        hashes.reserveCapacity(newCapacity)
        states.reserveCapacity(newCapacity)
        bits.reserveCapacity(newCapacity * words)
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
