/// The hot-key sketch's index from a `KeyHash` to the slot that monitors the key: open addressing with linear
/// probing in a power-of-two table of at least 4x the sketch's capacity, and backward-shift deletion (no
/// tombstones, so probes stay short however many keys come and go).
///
/// It replaced a `Dictionary`, whose SipHash of every key was a third of the sketch's cost on the put path,
/// where uniform keys miss the sketch on nearly every request and each miss looks up, removes and inserts
/// (issue 7). The hashes are FNV-1a already, so they index the table directly.
struct KeyHashIndex: Sendable {
    /// Slot numbers, -1 where empty. A slot's hash is the sketch's `hashes[slot]`, passed in to each call: the
    /// table stores only slot numbers.
    private var table: [Int32]
    private let mask: Int

    init(capacity: Int) {
        var size = 8
        while size < capacity * 4 { size <<= 1 }
        table = Array(repeating: -1, count: size)
        mask = size - 1
    }

    @inline(__always)
    private func home(_ hash: KeyHash) -> Int {
        Int(truncatingIfNeeded: hash.value ^ (hash.value >> 29)) & mask
    }

    /// The slot holding `hash`; `hashes[slot]` is each slot's hash.
    func find(_ hash: KeyHash, hashes: [KeyHash]) -> Int? {
        var i = home(hash)
        while true {
            let slot = table[i]
            if slot < 0 { return nil }
            if hashes[Int(slot)] == hash { return Int(slot) }
            i = (i + 1) & mask
        }
    }

    /// Records that `slot` holds `hash` (not in the index yet).
    mutating func insert(_ hash: KeyHash, slot: Int) {
        var i = home(hash)
        while table[i] >= 0 { i = (i + 1) & mask }
        table[i] = Int32(slot)
    }

    /// Forgets `hash` (in the index, and still `hashes`' value for its slot).
    mutating func remove(_ hash: KeyHash, hashes: [KeyHash]) {
        var hole = home(hash)
        while true {
            let slot = table[hole]
            if slot < 0 { return }  // not indexed
            if hashes[Int(slot)] == hash { break }
            hole = (hole + 1) & mask
        }
        // Backward shift: move each later entry of the probe run into the hole unless its home lies cyclically
        // in (hole, j], where it must stay to remain reachable.
        var j = hole
        while true {
            j = (j + 1) & mask
            let slot = table[j]
            if slot < 0 { break }
            let h = home(hashes[Int(slot)])
            let stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !stays {
                table[hole] = slot
                hole = j
            }
        }
        table[hole] = -1
    }
}
