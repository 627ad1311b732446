import Synchronization

/// A thread-safe cache of decompressed, verified blocks keyed by (file number, block offset), bounded in
/// bytes: 16 shards, each an LRU list behind its own `Mutex`, so concurrent readers rarely contend.
///
/// A block's charge is its allocation plus a small overhead. A block larger than a shard's capacity is not
/// cached. File numbers are never reused, so blocks of deleted tables simply age out.
public final class BlockCache: Sendable {
    /// The configured capacity in bytes.
    public let capacityBytes: Int
    private let shards: [BlockCacheShard]
    private static let shardBits = 4

    /// A cache holding at most `capacityBytes` of blocks (0 disables caching).
    public init(capacityBytes: Int) {
        precondition(capacityBytes >= 0, "capacityBytes must not be negative")
        self.capacityBytes = capacityBytes
        let count = 1 << Self.shardBits
        let perShard = (capacityBytes + count - 1) / count
        shards = (0..<count).map { _ in BlockCacheShard(capacity: perShard) }
    }

    /// Lookups that found their block.
    public var hits: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.hits } } }
    /// Lookups that did not.
    public var misses: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.misses } } }
    /// Bytes currently charged.
    public var usageBytes: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.usage } } }
    /// Blocks currently cached.
    public var entryCount: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.index.count } } }

    @inline(__always)
    private func shard(_ key: BlockCacheKey) -> BlockCacheShard { shards[Self.shardIndex(key)] }

    /// The shard a key lives in: both parts mixed, so consecutive offsets of one file spread out.
    @inline(__always)
    static func shardIndex(_ key: BlockCacheKey) -> Int {
        var h = key.fileNumber &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: key.offset)
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: h >> (64 - UInt64(shardBits)))
    }

    /// The cached block, marking it most recently used; nil (a miss) if absent.
    func lookup(fileNumber: UInt64, offset: Int) -> Block? {
        let key = BlockCacheKey(fileNumber: fileNumber, offset: offset)
        return shard(key).state.withLock { $0.lookup(key) }
    }

    /// Caches a block, evicting least recently used blocks of its shard to stay within capacity.
    func insert(fileNumber: UInt64, offset: Int, block: Block) {
        let key = BlockCacheKey(fileNumber: fileNumber, offset: offset)
        // Drop the evicted blocks outside the lock (their deallocation is the slow part).
        var evicted: [Block] = []
        shard(key).state.withLock { $0.insert(key, block, charge: block.charge, evicted: &evicted) }
        _ = evicted
    }

    /// Removes every block of a file (after the file was deleted).
    public func erase(fileNumber: UInt64) {
        for s in shards { s.state.withLock { $0.erase(fileNumber: fileNumber) } }
    }
}

struct BlockCacheKey: Hashable, Sendable {
    var fileNumber: UInt64
    var offset: Int
}

/// One shard: a `Mutex` around an LRU state.
final class BlockCacheShard: Sendable {
    let state: Mutex<LRUState>
    init(capacity: Int) { state = Mutex(LRUState(capacity: capacity)) }
}

/// An LRU list over slot arrays (no per-entry objects): `index` maps a key to its slot, slots link into a
/// circular doubly-linked list through `prev`/`next` with slot 0 as the sentinel (0 = most recent side).
struct LRUState: ~Copyable {
    let capacity: Int
    var usage = 0
    var hits = 0
    var misses = 0
    var index: [BlockCacheKey: Int32] = [:]
    private var keys: [BlockCacheKey] = [BlockCacheKey(fileNumber: 0, offset: 0)]
    private var blocks: [Block?] = [nil]
    private var charges: [Int] = [0]
    private var prev: [Int32] = [0]
    private var next: [Int32] = [0]
    private var free: [Int32] = []

    init(capacity: Int) { self.capacity = capacity }

    mutating func lookup(_ key: BlockCacheKey) -> Block? {
        guard let slot = index[key] else {
            misses += 1
            return nil
        }
        hits += 1
        unlink(slot)
        linkFront(slot)
        return blocks[Int(slot)]
    }

    mutating func insert(_ key: BlockCacheKey, _ block: Block, charge: Int, evicted: inout [Block]) {
        if let old = index[key] { remove(old, evicted: &evicted) }
        guard charge <= capacity else { return }
        while usage + charge > capacity {
            let victim = prev[0]  // least recently used
            if victim == 0 { break }
            remove(victim, evicted: &evicted)
        }
        let slot: Int32
        if let f = free.popLast() {
            slot = f
            keys[Int(slot)] = key
            blocks[Int(slot)] = block
            charges[Int(slot)] = charge
        } else {
            slot = Int32(keys.count)
            keys.append(key)
            blocks.append(block)
            charges.append(charge)
            prev.append(0)
            next.append(0)
        }
        index[key] = slot
        usage += charge
        linkFront(slot)
    }

    mutating func erase(fileNumber: UInt64) {
        var evicted: [Block] = []
        for (key, slot) in index where key.fileNumber == fileNumber { remove(slot, evicted: &evicted) }
    }

    private mutating func remove(_ slot: Int32, evicted: inout [Block]) {
        unlink(slot)
        let i = Int(slot)
        index[keys[i]] = nil
        usage -= charges[i]
        if let b = blocks[i] { evicted.append(b) }
        blocks[i] = nil
        free.append(slot)
    }

    private mutating func unlink(_ slot: Int32) {
        let p = prev[Int(slot)], n = next[Int(slot)]
        next[Int(p)] = n
        prev[Int(n)] = p
    }

    private mutating func linkFront(_ slot: Int32) {
        let first = next[0]
        next[Int(slot)] = first
        prev[Int(slot)] = 0
        prev[Int(first)] = slot
        next[0] = slot
    }
}
