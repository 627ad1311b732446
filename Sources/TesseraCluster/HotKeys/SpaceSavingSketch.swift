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
    private var scaledTotal = 0.0
    private var landmarkMillis: UInt64
    /// Requests ever recorded (undecayed).
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
        errors.reserveCapacity(capacity)
    }

    /// Counts one request for `key` at `nowMillis` (time should not go backwards; if it does, the request
    /// weighs as at the landmark).
    public mutating func record(_ key: [UInt8], nowMillis: UInt64) {
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
        scaledTotal += weight
        let hash = KeyHash(key)
        if let slot = index.find(hash, hashes: hashes) {
            if keys[slot] == key {
                counts[slot] += weight
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
            return
        }
        var smallest = 0
        for slot in 1..<counts.count where counts[slot] < counts[smallest] { smallest = slot }
        index.remove(hashes[smallest], hashes: hashes)
        hashes[smallest] = hash
        index.insert(hash, slot: smallest)
        keys[smallest] = key
        errors[smallest] = counts[smallest]
        counts[smallest] += weight
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
