/// MurmurHash3_x64_128 (Austin Appleby, public domain) and the token of a key as Cassandra's
/// `Murmur3Partitioner` computes it.
///
/// `hash128` is the reference algorithm (SMHasher's `MurmurHash3_x64_128`, verification value 0x6384BA69).
/// `token(for:)` reproduces Cassandra's `MurmurHash.hash3_x64_128`, which differs from the reference in one
/// place: the tail bytes (the last `length % 16`) are read as *signed* Java bytes and sign-extended before
/// shifting. For a tail byte >= 0x80 the two disagree. Cassandra kept that behaviour for compatibility, and so
/// do we, so a key gets the same token in Tessera as in Cassandra and its drivers (vectors in
/// Tests/TesseraRingTests/Murmur3Tests.swift come from the DataStax drivers' test suites).
public enum Murmur3 {
    /// The token of `key`: the first 64 bits of Cassandra's MurmurHash3_x64_128 with seed 0, as `Int64`.
    /// `Int64.min` is mapped to `Int64.max` (Cassandra's `normalize`), so no key sits on the ring's minimum.
    public static func token(for key: [UInt8]) -> Token {
        let h1 = key.withUnsafeBytes { hash(bytes: $0, seed: 0, signExtendTail: true).0 }
        let token = Token(bitPattern: h1)
        return token == .min ? .max : token
    }

    /// The reference MurmurHash3_x64_128 of `bytes`: `(h1, h2)`, the two 64-bit halves in output order
    /// (the digest's bytes are `h1` then `h2`, each little-endian).
    public static func hash128(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> (UInt64, UInt64) {
        hash(bytes: bytes, seed: seed, signExtendTail: false)
    }

    /// Cassandra's variant (tail bytes sign-extended); `token(for:)` uses its first half.
    public static func cassandraHash128(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> (UInt64, UInt64) {
        hash(bytes: bytes, seed: seed, signExtendTail: true)
    }

    private static let c1: UInt64 = 0x87c3_7b91_1142_53d5
    private static let c2: UInt64 = 0x4cf5_ad43_2745_937f

    @inline(__always)
    private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x &<< r) | (x &>> (64 &- r)) }

    @inline(__always)
    private static func fmix(_ k: UInt64) -> UInt64 {
        var k = k
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }

    @inline(__always)
    private static func tailByte(_ byte: UInt8, signExtend: Bool) -> UInt64 {
        signExtend ? UInt64(bitPattern: Int64(Int8(bitPattern: byte))) : UInt64(byte)
    }

    private static func hash(bytes: UnsafeRawBufferPointer, seed: UInt64, signExtendTail: Bool) -> (UInt64, UInt64) {
        let length = bytes.count
        let blocks = length / 16
        var h1 = seed
        var h2 = seed

        for i in 0..<blocks {
            var k1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 16, as: UInt64.self))
            var k2 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self))

            k1 = k1 &* c1
            k1 = rotl(k1, 31)
            k1 = k1 &* c2
            h1 ^= k1

            h1 = rotl(h1, 27)
            h1 = h1 &+ h2
            h1 = h1 &* 5 &+ 0x52dc_e729

            k2 = k2 &* c2
            k2 = rotl(k2, 33)
            k2 = k2 &* c1
            h2 ^= k2

            h2 = rotl(h2, 31)
            h2 = h2 &+ h1
            h2 = h2 &* 5 &+ 0x3849_5ab5
        }

        let tail = blocks * 16
        let rest = length & 15
        var k1: UInt64 = 0
        var k2: UInt64 = 0
        // XOR is order-independent, so the reference's falling-through switch becomes two forward loops.
        if rest > 8 {
            for j in 8..<rest {
                k2 ^= tailByte(bytes[tail + j], signExtend: signExtendTail) &<< UInt64(truncatingIfNeeded: (j - 8) * 8)
            }
            k2 = k2 &* c2
            k2 = rotl(k2, 33)
            k2 = k2 &* c1
            h2 ^= k2
        }
        if rest > 0 {
            for j in 0..<min(rest, 8) {
                k1 ^= tailByte(bytes[tail + j], signExtend: signExtendTail) &<< UInt64(truncatingIfNeeded: j * 8)
            }
            k1 = k1 &* c1
            k1 = rotl(k1, 31)
            k1 = k1 &* c2
            h1 ^= k1
        }

        h1 ^= UInt64(length)
        h2 ^= UInt64(length)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        h1 = fmix(h1)
        h2 = fmix(h2)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        return (h1, h2)
    }
}
