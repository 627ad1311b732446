#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The most frequent keys of a stream in bounded memory: Metwally, Agrawal and El Abbadi's space-saving
/// algorithm ("Efficient Computation of Frequent and Top-k Elements in Data Streams", ICDT 2005), with
/// exponential decay so that the figures describe the recent past.
///
/// At most `capacity` keys are monitored. A monitored key's counter grows by each request's weight; an
/// unmonitored key replaces the key with the smallest counter and inherits that counter (recorded as the new
/// entry's `error`, the most it can be overestimated by). Guarantees: every key whose weight exceeds
/// total/capacity is monitored, and a monitored key's true weight lies in [count - error, count].
///
/// Decay: a request at time t weighs 2^((t - landmark) / halfLife) (forward decay, Cormode et al. 2009), so
/// older requests count half as much every `halfLifeMillis` and no counter needs touching as time passes;
/// reading divides by the current weight. The landmark moves forward (all counters rescaled) before the
/// weights could overflow. Time is passed in; the sketch has no clock. Not thread-safe: one owner.
public struct SpaceSavingSketch: Sendable {
    /// One monitored key.
    public struct Entry: Sendable, Hashable {
        public var key: [UInt8]
        /// Decayed request count (an overestimate by at most `error`).
        public var count: Double
        public var error: Double
    }

    public let capacity: Int
    public let halfLifeMillis: UInt64

    /// Monitored keys' slots by their `KeyHash`; a slot's key is compared on every hit, so a collision (two keys
    /// with one 64-bit hash) is counted as a miss, never as the other key.
    private var index: KeyHashIndex
    private var keys: [[UInt8]] = []
    private var hashes: [KeyHash] = []
    /// `weight(at:)` of the last request: requests within one millisecond share it (no exp2 per request).
    private var cachedWeightMillis: UInt64 = .max
    private var cachedWeight = 1.0
    /// Scaled by the landmark's weight.
    private var counts: [Double] = []
    private var errors: [Double] = []
    /// Slots as a binary min-heap ordered by (count, slot): the root is the slot an unmonitored key replaces,
    /// found in O(log capacity) instead of a scan of every counter per miss (every request of uniform traffic
    /// is a miss). `heapPosition[slot]` is the slot's place in `heap`.
    private var heap: [Int32] = []
    private var heapPosition: [Int32] = []
    private var scaledTotal = 0.0
    private var landmarkMillis: UInt64
    /// Calls of `record` (undecayed; a sampled request counts once here, whatever its `times`).
    public private(set) var recorded: UInt64 = 0

    /// - Parameters:
    ///   - capacity: keys monitored, at least 1 (memory is O(capacity) keys).
    ///   - halfLifeMillis: a request's weight halves every this many milliseconds, at least 1.
    ///   - nowMillis: the starting time.
    public init(capacity: Int = 64, halfLifeMillis: UInt64 = 30_000, nowMillis: UInt64 = 0) {
        precondition(capacity >= 1 && halfLifeMillis >= 1)
        self.capacity = capacity
        self.halfLifeMillis = halfLifeMillis
        self.landmarkMillis = nowMillis
        self.index = KeyHashIndex(capacity: capacity)
        keys.reserveCapacity(capacity)
        hashes.reserveCapacity(capacity)
        counts.reserveCapacity(capacity)
        heap.reserveCapacity(capacity)
        heapPosition.reserveCapacity(capacity)
        errors.reserveCapacity(capacity)
    }

    /// Counts one request for `key` at `nowMillis`, as `times` requests (a sampled request stands for several,
    /// `HotKeySampler`). Time should not go backwards; if it does, the request weighs as at the landmark.
    public mutating func record(_ key: [UInt8], nowMillis: UInt64, times: Double = 1) {
        recorded &+= 1
        var weight: Double
        if nowMillis == cachedWeightMillis {
            weight = cachedWeight
        } else {
            weight = self.weight(at: nowMillis)
            if weight > 1e30 {
                rescale(to: nowMillis)
                weight = 1
            }
            cachedWeightMillis = nowMillis
            cachedWeight = weight
        }
        weight *= times
        scaledTotal += weight
        let hash = KeyHash(key)
        if let slot = index.find(hash, hashes: hashes) {
            if keys[slot] == key {
                counts[slot] += weight
                siftDown(Int(heapPosition[slot]))
                return
            }
            // A 64-bit collision: leave the monitored key alone and drop this request from the key counts
            // (it stays in the total); with 64 keys monitored this is vanishingly rare.
            return
        }
        if keys.count < capacity {
            hashes.append(hash)
            index.insert(hash, slot: keys.count)
            keys.append(key)
            counts.append(weight)
            errors.append(0)
            heapPosition.append(Int32(heap.count))
            heap.append(Int32(keys.count - 1))
            siftUp(heap.count - 1)
            return
        }
        let smallest = Int(heap[0])
        index.remove(hashes[smallest], hashes: hashes)
        hashes[smallest] = hash
        index.insert(hash, slot: smallest)
        keys[smallest] = key
        errors[smallest] = counts[smallest]
        counts[smallest] += weight
        siftDown(0)
    }

    /// Heap order: the smaller count first, the lower slot on a tie (the slot a scan would pick first).
    private func precedes(_ a: Int32, _ b: Int32) -> Bool {
        let (ca, cb) = (counts[Int(a)], counts[Int(b)])
        return ca < cb || (ca == cb && a < b)
    }

    private mutating func swapHeap(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        heapPosition[Int(heap[i])] = Int32(i)
        heapPosition[Int(heap[j])] = Int32(j)
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard precedes(heap[i], heap[parent]) else { return }
            swapHeap(i, parent)
            i = parent
        }
    }

    /// Restores the heap below `start` after its slot's count grew.
    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1
            guard left < heap.count else { return }
            var child = left
            if left + 1 < heap.count && precedes(heap[left + 1], heap[left]) { child = left + 1 }
            guard precedes(heap[child], heap[i]) else { return }
            swapHeap(i, child)
            i = child
        }
    }

    /// The decayed weight of every request recorded, as of `nowMillis`.
    public func total(nowMillis: UInt64) -> Double { scaledTotal / weight(at: nowMillis) }

    /// The monitored keys, heaviest first, with counts decayed to `nowMillis`; at most `limit`.
    public func top(_ limit: Int, nowMillis: UInt64) -> [Entry] {
        let scale = 1 / weight(at: nowMillis)
        return keys.indices
            .map { Entry(key: keys[$0], count: counts[$0] * scale, error: errors[$0] * scale) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.key.lexicographicallyPrecedes($1.key) }
            .prefix(Swift.max(0, limit))
            .map { $0 }
    }

    private func weight(at nowMillis: UInt64) -> Double {
        guard nowMillis > landmarkMillis else { return 1 }
        return exp2(Double(nowMillis - landmarkMillis) / Double(halfLifeMillis))
    }

    private mutating func rescale(to nowMillis: UInt64) {
        let factor = 1 / weight(at: nowMillis)
        for slot in counts.indices {
            counts[slot] *= factor
            errors[slot] *= factor
        }
        scaledTotal *= factor
        // Scaling keeps the order, but rounding can make two counts equal: rebuild the heap to be exact.
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        landmarkMillis = nowMillis
        cachedWeightMillis = .max
    }
}

/// A key's 64-bit FNV-1a hash, the sketch's index: hashing `[UInt8]` through `Hashable` feeds the hasher one
/// byte at a time, which cost more than the rest of a replica read (profiled, issue 7).
struct KeyHash: Hashable, Sendable {
    let value: UInt64

    init(value: UInt64) { self.value = value }

    init(_ key: [UInt8]) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        value = h
    }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
