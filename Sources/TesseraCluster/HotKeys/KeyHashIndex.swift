/// The hot-key sketch's index from a `KeyHash` to the slot that monitors the key: open addressing with linear
/// probing in a power-of-two table of at least 4x the sketch's capacity, and backward-shift deletion (no
/// tombstones, so probes stay short however many keys come and go).
///
/// It replaced a `Dictionary`, whose SipHash of every key was a third of the sketch's cost on the put path,
/// where uniform keys miss the sketch on nearly every request and each miss looks up, removes and inserts
/// (issue 7). The hashes are FNV-1a already, so they index the table directly. The write-id table
/// (`WriteVersionMemory`) uses it too.
///
/// Each entry keeps 32 bits of its hash (its tag, which also gives its home position) beside the slot number,
/// so a probe compares tags within the table and reads the caller's `hashes` only on a tag match, and the
/// backward shift finds each entry's home without reading `hashes` at all. In the write-id table (65,536 ids, a
/// 2 MiB index) those reads land on random cache lines; `find` was 0.5% of a node's put-path samples (issue 7).
struct KeyHashIndex: Sendable {
    /// Entries: the hash's tag in the high 32 bits, slot + 1 in the low 32 bits; 0 where empty.
    private var table: [UInt64]
    private let mask: Int

    init(capacity: Int) {
        var size = 8
        while size < capacity * 4 { size <<= 1 }
        table = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// 32 bits of the hash, mixed so that its low bits (the home position) depend on the whole hash.
    @inline(__always)
    private static func tag(_ hash: KeyHash) -> UInt32 {
        UInt32(truncatingIfNeeded: hash.value ^ (hash.value >> 29))
    }

    @inline(__always)
    private func home(tag: UInt32) -> Int { Int(tag) & mask }

    @inline(__always)
    private static func entry(tag: UInt32, slot: Int) -> UInt64 { UInt64(tag) << 32 | UInt64(slot + 1) }

    @inline(__always)
    private static func slot(of entry: UInt64) -> Int { Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1 }

    /// The table position of `hash`'s entry, or nil.
    @inline(__always)
    private func position(_ hash: KeyHash, hashes: [KeyHash]) -> Int? {
        let tag = Self.tag(hash)
        var i = home(tag: tag)
        while true {
            let entry = table[i]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == tag && hashes[Self.slot(of: entry)] == hash { return i }
            i = (i + 1) & mask
        }
    }

    /// The slot holding `hash`; `hashes[slot]` is each slot's hash.
    func find(_ hash: KeyHash, hashes: [KeyHash]) -> Int? {
        position(hash, hashes: hashes).map { Self.slot(of: table[$0]) }
    }

    /// Records that `slot` holds `hash` (not in the index yet).
    mutating func insert(_ hash: KeyHash, slot: Int) {
        let tag = Self.tag(hash)
        var i = home(tag: tag)
        while table[i] != 0 { i = (i + 1) & mask }
        table[i] = Self.entry(tag: tag, slot: slot)
    }

    /// Forgets `hash` (in the index, and still `hashes`' value for its slot).
    mutating func remove(_ hash: KeyHash, hashes: [KeyHash]) {
        guard var hole = position(hash, hashes: hashes) else { return }  // not indexed
        // Backward shift: move each later entry of the probe run into the hole unless its home lies cyclically
        // in (hole, j], where it must stay to remain reachable.
        var j = hole
        while true {
            j = (j + 1) & mask
            let entry = table[j]
            if entry == 0 { break }
            let h = home(tag: UInt32(truncatingIfNeeded: entry >> 32))
            let stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !stays {
                table[hole] = entry
                hole = j
            }
        }
        table[hole] = 0
    }
}
