#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TesseraCore

/// The in-memory sorted table of recent writes: a skiplist whose nodes are plain structs in one array and
/// whose key and value bytes live in one contiguous arena, so an insert allocates nothing per entry (beyond
/// amortised array growth) and no node is a class.
///
/// Each key appears once, holding its newest cell: a write with a lower version than the one held is ignored,
/// an equal version keeps the first (idempotent replays). Not thread-safe: the engine guards the mutable
/// memtable with its lock; a frozen memtable (`FrozenMemtable`) is immutable and read without a lock.
struct Memtable {
    /// One skiplist node: where its key and value are in the arena, its version and its links.
    struct Entry {
        /// Key bytes 0..<8 and 8..<16 as big-endian integers, zero-padded: most comparisons end here without
        /// touching the arena (one cache line per node visited instead of two).
        var prefix0: UInt64
        var prefix1: UInt64
        var keyOffset: Int
        var valueOffset: Int
        var keyLength: Int32
        /// -1 for a tombstone.
        var valueLength: Int32
        var timestamp: UInt64
        var node: UInt32
        var linkBase: Int32
    }

    static let maxHeight = 12
    /// Index of the head sentinel in `entries`.
    static let head = 0
    static let nilLink: Int32 = -1

    private(set) var arena: [UInt8] = []
    private(set) var entries: [Entry] = []
    /// Next pointers: node i's next at level l is links[entries[i].linkBase + l].
    private(set) var links: [Int32] = []
    /// Open-addressing hash index (key -> node) for point lookups: a get costs one or two probes instead of a
    /// skiplist descent with a cache miss per level. -1 = empty. Capacity is a power of two, load <= 1/2.
    private var slots: [Int32] = []
    private var height = 1
    private var rng: UInt64 = 0x2545_F491_4F6C_DD1D
    /// Number of tombstones held.
    private(set) var tombstones = 0
    /// Key and value bytes accepted (for statistics).
    private(set) var userBytes = 0

    init(expectedBytes: Int = 1 << 20) {
        arena.reserveCapacity(expectedBytes + expectedBytes / 8)
        entries.reserveCapacity(expectedBytes / 64)
        links.reserveCapacity(expectedBytes / 48)
        entries.append(
            Entry(prefix0: 0, prefix1: 0, keyOffset: 0, valueOffset: 0, keyLength: 0, valueLength: -1, timestamp: 0,
                  node: 0, linkBase: 0))
        links.append(contentsOf: repeatElement(Self.nilLink, count: Self.maxHeight))
        var capacity = 64
        while capacity < expectedBytes / 32 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
    }

    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer, _ p0: UInt64, _ p1: UInt64) -> UInt64 {
        var h = (p0 &* 0x9E37_79B9_7F4A_7C15) ^ (p1 &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(key.count)
        var i = 16
        while i < key.count {
            h = (h ^ UInt64(key[i])) &* 0x0000_0100_0000_01B3
            i += 1
        }
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }

    /// The node holding exactly `key`, through the hash index; -1 if none.
    private func lookup(_ key: UnsafeRawBufferPointer) -> Int32 {
        let p0 = Self.prefix(key, from: 0)
        let p1 = Self.prefix(key, from: 8)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(key, p0, p1)) & mask
        return arena.withUnsafeBytes { a in
            entries.withUnsafeBufferPointer { e in
                slots.withUnsafeBufferPointer { sl in
                    while true {
                        let n = sl[i]
                        if n < 0 { return -1 }
                        if Self.compare(e[Int(n)], a, key, p0, p1) == 0 { return n }
                        i = (i + 1) & mask
                    }
                }
            }
        }
    }

    /// Adds node `n` (whose key is not yet indexed) to the hash index, growing it at half load.
    private mutating func index(_ n: Int32, key: UnsafeRawBufferPointer) {
        if (entries.count - 1) * 2 > slots.count {
            var grown = [Int32](repeating: -1, count: slots.count * 2)
            let mask = grown.count - 1
            arena.withUnsafeBytes { a in
                for m in slots where m >= 0 {
                    let e = entries[Int(m)]
                    let k = UnsafeRawBufferPointer(start: a.baseAddress! + e.keyOffset, count: Int(e.keyLength))
                    var i = Int(truncatingIfNeeded: Self.hash(k, e.prefix0, e.prefix1)) & mask
                    while grown[i] >= 0 { i = (i + 1) & mask }
                    grown[i] = m
                }
            }
            slots = grown
        }
        place(n, hash: Self.hash(key, Self.prefix(key, from: 0), Self.prefix(key, from: 8)))
    }

    private mutating func place(_ n: Int32, hash: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = n
    }

    /// Number of keys held.
    var count: Int { entries.count - 1 }
    var isEmpty: Bool { entries.count == 1 }

    /// Approximate memory used, compared with the flush threshold.
    var approximateBytes: Int {
        arena.count + entries.count * MemoryLayout<Entry>.stride + links.count * 4 + slots.count * 4
    }

    private mutating func randomHeight() -> Int {
        // xorshift64*; a quarter of nodes go up each level, as LevelDB.
        rng ^= rng >> 12
        rng ^= rng << 25
        rng ^= rng >> 27
        var r = rng &* 0x2545_F491_4F6C_DD1D
        var h = 1
        while h < Self.maxHeight && (r & 3) == 0 {
            h += 1
            r >>= 2
        }
        return h
    }

    /// Byte-wise comparison (negative, zero, positive). Compares 8 bytes at a time as big-endian integers,
    /// which for short keys beats a call to memcmp.
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        var i = 0
        if n > 0 {
            let pa = a.baseAddress!
            let pb = b.baseAddress!
            while i + 8 <= n {
                let x = UInt64(bigEndian: pa.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let y = UInt64(bigEndian: pb.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if x != y { return x < y ? -1 : 1 }
                i += 8
            }
            if i < n {
                let c = memcmp(pa + i, pb + i, n - i)
                if c != 0 { return Int(c) }
            }
        }
        return a.count - b.count
    }

    /// The big-endian, zero-padded integer of key bytes `from..<from+8`.
    @inline(__always)
    static func prefix(_ key: UnsafeRawBufferPointer, from: Int) -> UInt64 {
        if key.count >= from + 8 {
            return UInt64(bigEndian: key.loadUnaligned(fromByteOffset: from, as: UInt64.self))
        }
        var v: UInt64 = 0
        var i = from
        while i < from + 8 {
            v = (v << 8) | UInt64(i < key.count ? key[i] : 0)
            i += 1
        }
        return v
    }

    /// Compares node `n`'s key with a probe whose prefixes are `p0`, `p1`.
    @inline(__always)
    static func compare(
        _ n: Entry, _ arena: UnsafeRawBufferPointer, _ key: UnsafeRawBufferPointer, _ p0: UInt64, _ p1: UInt64
    ) -> Int {
        if n.prefix0 != p0 { return n.prefix0 < p0 ? -1 : 1 }
        if n.prefix1 != p1 { return n.prefix1 < p1 ? -1 : 1 }
        let nLength = Int(n.keyLength)
        if nLength <= 16 || key.count <= 16 {
            // The first min(length) bytes are equal (zero padding only follows the end of a key, and a shorter
            // key whose padded prefix matches is a prefix of the other): the shorter key is smaller.
            return nLength - key.count
        }
        return compare(
            UnsafeRawBufferPointer(start: arena.baseAddress! + n.keyOffset + 16, count: nLength - 16),
            UnsafeRawBufferPointer(rebasing: key[16...]))
    }

    /// Finds the first node with key >= `key`; fills `prev` (if given) with the last node before it per level.
    /// Returns the node index or -1.
    private func findGreaterOrEqual(
        _ key: UnsafeRawBufferPointer,
        prev: UnsafeMutablePointer<Int32>?
    ) -> (node: Int32, equal: Bool) {
        arena.withUnsafeBytes { a in
            entries.withUnsafeBufferPointer { e in
                links.withUnsafeBufferPointer { l in
                    var x = Int32(Self.head)
                    var level = height - 1
                    let p0 = Self.prefix(key, from: 0)
                    let p1 = Self.prefix(key, from: 8)
                    var result: (Int32, Bool) = (Self.nilLink, false)
                    while true {
                        let next = l[Int(e[Int(x)].linkBase) + level]
                        var goRight = false
                        var cmp = 1
                        if next != Self.nilLink {
                            cmp = Self.compare(e[Int(next)], a, key, p0, p1)
                            goRight = cmp < 0
                        }
                        if goRight {
                            x = next
                        } else {
                            prev?[level] = x
                            if level == 0 {
                                result = (next, next != Self.nilLink && cmp == 0)
                                break
                            }
                            level -= 1
                        }
                    }
                    return result
                }
            }
        }
    }

    /// Inserts or updates `key`. Returns false if the memtable already held a newer or equal version.
    @discardableResult
    mutating func insert(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?, version: Version) -> Bool {
        let existing = lookup(key)
        if existing >= 0 { return update(Int(existing), keyCount: key.count, value: value, version: version) }
        var prev = (Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                    Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0))
        let found = withUnsafeMutableBytes(of: &prev) { p in
            findGreaterOrEqual(key, prev: p.baseAddress!.assumingMemoryBound(to: Int32.self))
        }
        if found.equal { return update(Int(found.node), keyCount: key.count, value: value, version: version) }
        let h = randomHeight()
        if h > height {
            withUnsafeMutableBytes(of: &prev) { p in
                let q = p.baseAddress!.assumingMemoryBound(to: Int32.self)
                for level in height..<h { q[level] = Int32(Self.head) }
            }
            height = h
        }
        let index = Int32(entries.count)
        let linkBase = Int32(links.count)
        let keyOffset = arena.count
        arena.append(contentsOf: key)
        let valueOffset = arena.count
        if let value { arena.append(contentsOf: value) } else { tombstones += 1 }
        entries.append(
            Entry(
                prefix0: Self.prefix(key, from: 0), prefix1: Self.prefix(key, from: 8), keyOffset: keyOffset, valueOffset: valueOffset, keyLength: Int32(key.count),
                valueLength: value.map { Int32($0.count) } ?? -1, timestamp: version.timestamp.rawValue,
                node: version.node, linkBase: linkBase))
        withUnsafeBytes(of: &prev) { p in
            let q = p.baseAddress!.assumingMemoryBound(to: Int32.self)
            for level in 0..<h {
                let before = Int(entries[Int(q[level])].linkBase) + level
                links.append(links[before])
                links[before] = index
            }
        }
        self.index(index, key: key)
        userBytes += key.count + (value?.count ?? 0)
        return true
    }

    /// Replaces node `i`'s cell if `version` is newer.
    private mutating func update(_ i: Int, keyCount: Int, value: UnsafeRawBufferPointer?, version: Version) -> Bool {
        let old = Version(timestamp: HLCTimestamp(rawValue: entries[i].timestamp), node: entries[i].node)
        guard version > old else { return false }
        if entries[i].valueLength < 0 { tombstones -= 1 }
        if let value {
            entries[i].valueOffset = arena.count
            entries[i].valueLength = Int32(value.count)
            arena.append(contentsOf: value)
        } else {
            entries[i].valueLength = -1
            tombstones += 1
        }
        entries[i].timestamp = version.timestamp.rawValue
        entries[i].node = version.node
        userBytes += keyCount + (value?.count ?? 0)
        return true
    }

    /// Convenience insert from arrays.
    @discardableResult
    mutating func insert(_ key: [UInt8], _ cell: Cell) -> Bool {
        key.withUnsafeBytes { k in
            if let value = cell.value {
                return value.withUnsafeBytes { v in insert(key: k, value: v, version: cell.version) }
            }
            return insert(key: k, value: nil, version: cell.version)
        }
    }

    /// The cell held for `key`, if any.
    func get(_ key: UnsafeRawBufferPointer) -> Cell? {
        let n = lookup(key)
        return n < 0 ? nil : cell(at: n)
    }

    func get(_ key: [UInt8]) -> Cell? {
        key.withUnsafeBytes { get($0) }
    }

    // MARK: node access (for iterators)

    /// The first node with key >= `key` (nil link if none).
    func seek(_ key: [UInt8]) -> Int32 {
        key.withUnsafeBytes { findGreaterOrEqual($0, prev: nil).node }
    }

    /// The first node.
    var first: Int32 { links[Int(entries[Self.head].linkBase)] }

    /// The node after `node` in key order.
    func next(_ node: Int32) -> Int32 { links[Int(entries[Int(node)].linkBase)] }

    func key(at node: Int32) -> [UInt8] {
        let e = entries[Int(node)]
        return Array(arena[e.keyOffset..<(e.keyOffset + Int(e.keyLength))])
    }

    func cell(at node: Int32) -> Cell {
        let e = entries[Int(node)]
        let version = Version(timestamp: HLCTimestamp(rawValue: e.timestamp), node: e.node)
        if e.valueLength < 0 { return Cell(version: version, value: nil) }
        return Cell(version: version, value: Array(arena[e.valueOffset..<(e.valueOffset + Int(e.valueLength))]))
    }

    /// Compares the key at `node` with `other`.
    func compareKey(at node: Int32, with other: [UInt8]) -> Int {
        let e = entries[Int(node)]
        return arena.withUnsafeBytes { a in
            other.withUnsafeBytes { o in
                Self.compare(UnsafeRawBufferPointer(rebasing: a[e.keyOffset..<(e.keyOffset + Int(e.keyLength))]), o)
            }
        }
    }

    /// Copies the entries with `start <= key < end` (end nil: no bound), at most `limit`, in key order.
    func entries(from start: [UInt8], to end: [UInt8]?, limit: Int) -> [(key: [UInt8], cell: Cell)] {
        var out: [(key: [UInt8], cell: Cell)] = []
        var node = seek(start)
        while node != Self.nilLink && out.count < limit {
            if let end, compareKey(at: node, with: end) >= 0 { break }
            out.append((key(at: node), cell(at: node)))
            node = next(node)
        }
        return out
    }
}
