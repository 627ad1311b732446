/// xxHash64 (Yann Collet's XXH64, seed 0 by default): the fast 64-bit key hash behind the bloom filters.
///
/// DO NOT CHANGE: bloom filters on disk are built from these hashes. Verified against the reference vectors in
/// XXHash64Tests.
enum XXHash64 {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x &<< r) | (x &>> (64 &- r)) }

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }

    @inline(__always) private static func mergeRound(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        (acc ^ round(0, val)) &* p1 &+ p4
    }

    /// The XXH64 of `bytes`.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return finalize(seed &+ p5, base: nil, rest: 0) }
        var p = base
        var left = count
        var h: UInt64
        if left >= 32 {
            var v1 = seed &+ p1 &+ p2
            var v2 = seed &+ p2
            var v3 = seed
            var v4 = seed &- p1
            while left >= 32 {
                v1 = round(v1, UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                v2 = round(v2, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                v3 = round(v3, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
                v4 = round(v4, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
                p += 32
                left -= 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = mergeRound(h, v1)
            h = mergeRound(h, v2)
            h = mergeRound(h, v3)
            h = mergeRound(h, v4)
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt64(count)
        return finalize(h, base: p, rest: left)
    }

    @inline(__always)
    private static func finalize(_ hIn: UInt64, base: UnsafeRawPointer?, rest: Int) -> UInt64 {
        var h = hIn
        if var p = base {
            var left = rest
            while left >= 8 {
                let k1 = round(0, UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                h = rotl(h ^ k1, 27) &* p1 &+ p4
                p += 8
                left -= 8
            }
            if left >= 4 {
                h ^= UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))) &* p1
                h = rotl(h, 23) &* p2 &+ p3
                p += 4
                left -= 4
            }
            while left > 0 {
                h ^= UInt64(p.load(as: UInt8.self)) &* p5
                h = rotl(h, 11) &* p1
                p += 1
                left -= 1
            }
        }
        h ^= h >> 33
        h = h &* p2
        h ^= h >> 29
        h = h &* p3
        h ^= h >> 32
        return h
    }

    /// The XXH64 of an array.
    @inline(__always)
    static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }
}
