#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-wise key order (unsigned, shorter prefix first), compared with `memcmp`: the order of every sorted
/// structure in storage (blocks, tables, iterators).
enum KeyComparison {
    /// Negative, zero or positive as `a` sorts before, equal to or after `b`.
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = Swift.min(a.count, b.count)
        if n > 0 {
            let r = memcmp(a.baseAddress!, b.baseAddress!, n)
            if r != 0 { return Int(r) }
        }
        return a.count - b.count
    }

    /// Compares `count` bytes at `a` with `b`.
    @inline(__always)
    static func compare(_ a: UnsafeRawPointer, _ aCount: Int, _ b: UnsafeRawPointer, _ bCount: Int) -> Int {
        let n = Swift.min(aCount, bCount)
        if n > 0 {
            let r = memcmp(a, b, n)
            if r != 0 { return Int(r) }
        }
        return aCount - bCount
    }

    /// Compares two arrays.
    @inline(__always)
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { ra in b.withUnsafeBytes { rb in compare(ra, rb) } }
    }

    /// True if `a` sorts strictly before `b`.
    @inline(__always)
    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool { compare(a, b) < 0 }
}
