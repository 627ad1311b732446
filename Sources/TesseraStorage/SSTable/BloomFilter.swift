/// A whole-table bloom filter over the XXH64 hashes of the keys, probed by double hashing
/// (Kirsch-Mitzenmacher: probe i tests bit `h1 + i*h2`, with h1/h2 the two 32-bit halves of the hash).
///
/// Stored form (the filter block's contents):
/// ```
/// bits       ceil(numBits / 8) bytes, bit i is byte i/8, mask 1 << (i % 8)
/// numProbes  UInt8 (k)
/// ```
/// `numBits` = 8 * (size - 1). Positions use multiply-shift ("fastrange") instead of a division.
/// At 10 bits per key, k = 7 and the false-positive rate is about 0.82%.
struct BloomFilter: Sendable {
    let bytes: [UInt8]
    let numBits: UInt64
    let numProbes: Int

    /// Parses a stored filter; nil if the bytes cannot be a filter. A filter with an unknown probe count
    /// (a newer format) reports "may contain" for every key, like LevelDB.
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 2 else { return nil }
        self.bytes = bytes
        numBits = UInt64(bytes.count - 1) * 8
        numProbes = Int(bytes[bytes.count - 1])
    }

    /// The probe count for `bitsPerKey` (bitsPerKey * ln 2, rounded, in 1...30).
    static func probes(bitsPerKey: Int) -> Int {
        Swift.min(30, Swift.max(1, Int((Double(bitsPerKey) * 0.69).rounded())))
    }

    /// The hash the filter is built from and probed with.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 { XXHash64.hash(key) }

    @inline(__always)
    static func hash(_ key: [UInt8]) -> UInt64 { XXHash64.hash(key) }

    /// Builds a filter for keys given by their hashes.
    static func build(hashes: [UInt64], bitsPerKey: Int) -> [UInt8] {
        let k = probes(bitsPerKey: bitsPerKey)
        // At least 64 bits, so a tiny table still has a useful filter.
        let byteCount = Swift.max(8, (hashes.count * bitsPerKey + 7) / 8)
        let numBits = UInt64(byteCount) * 8
        var out = [UInt8](repeating: 0, count: byteCount + 1)
        out.withUnsafeMutableBufferPointer { buf in
            for h in hashes {
                var h1 = UInt32(truncatingIfNeeded: h)
                let h2 = UInt32(truncatingIfNeeded: h >> 32) | 1
                for _ in 0..<k {
                    let bit = (UInt64(h1) &* numBits) >> 32
                    buf[Int(bit >> 3)] |= UInt8(1) << UInt8(bit & 7)
                    h1 = h1 &+ h2
                }
            }
            buf[byteCount] = UInt8(k)
        }
        return out
    }

    /// False only if the key was certainly not added.
    @inline(__always)
    func mayContain(hash h: UInt64) -> Bool {
        if numProbes < 1 || numProbes > 30 { return true }
        let numBits = self.numBits
        let k = numProbes
        return bytes.withUnsafeBufferPointer { buf in
            var h1 = UInt32(truncatingIfNeeded: h)
            let h2 = UInt32(truncatingIfNeeded: h >> 32) | 1
            for _ in 0..<k {
                let bit = (UInt64(h1) &* numBits) >> 32
                if buf[Int(bit >> 3)] & (UInt8(1) << UInt8(bit & 7)) == 0 { return false }
                h1 = h1 &+ h2
            }
            return true
        }
    }

    /// False only if the key was certainly not added.
    @inline(__always)
    func mayContain(_ key: [UInt8]) -> Bool { mayContain(hash: Self.hash(key)) }
}
