import TesseraCore
/// The db_bench-like storage workload of ../shared/tools/storage-bench (bench.cc), reproduced exactly so the
/// Tessera engine can be compared row by row with LevelDB, RocksDB and SQLite:
///
/// - keys: 16 ASCII digits, `%016llu` of `2*i` for `i` in `[0, num)`; missing keys are `2*i+1`
/// - values: db_bench's generator: a 1 MiB buffer of 100-byte pieces, each 50 random printable bytes written
///   twice (compression ratio about 0.5); a value is the next `len` bytes of the buffer
/// - random orders: SplitMix64 with the peer's seeds (42 for the fill permutation, 7 readrandom,
///   8 readmissing, 9 overwrite, 43 for the 4 KiB fill), Fisher-Yates as in bench.cc
public enum StorageWorkload {
    /// The phases, in the order they run.
    public enum Phase: String, CaseIterable, Sendable {
        case fillseq, fillrandom, readrandom, readmissing, readseq, overwrite, fillsync, fillrandom4k

        /// Parses a phase name (`fill4k` is the peer's name for `fillrandom4k`).
        public init?(name: String) {
            if name == "fill4k" { self = .fillrandom4k } else { self.init(rawValue: name) }
        }

        /// True for phases that write (their write amplification is reported).
        public var writes: Bool {
            switch self {
            case .fillseq, .fillrandom, .overwrite, .fillsync, .fillrandom4k: return true
            case .readrandom, .readmissing, .readseq: return false
            }
        }
    }

    /// The 16-byte key of number `n` (`%016llu`).
    @inline(__always)
    public static func key(_ n: UInt64) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 16) { buf, initialized in
            var v = n
            var i = 15
            while i >= 0 {
                buf[i] = 0x30 &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                i -= 1
            }
            initialized = 16
        }
    }

    /// A random permutation of `0..<count` (bench.cc's Fisher-Yates with SplitMix64).
    public static func permutation(_ count: Int, seed: UInt64) -> [UInt64] {
        var perm = (0..<UInt64(count)).map { $0 }
        guard count > 1 else { return perm }
        var r = SplitMix64(seed: seed)
        var i = count - 1
        while i > 0 {
            perm.swapAt(i, Int(r.uniform(UInt64(i + 1))))
            i -= 1
        }
        return perm
    }
}


/// db_bench's RandomGenerator as bench.cc builds it: 1 MiB of 100-byte pieces, each `100 * ratio` random
/// printable bytes repeated to fill 100 bytes. Values are consecutive slices; the position wraps to 0.
public struct StorageValueGenerator: Sendable {
    private let data: [UInt8]
    private var position = 0

    public init(compressionRatio: Double = 0.5, seed: UInt64 = 301) {
        var r = SplitMix64(seed: seed)
        var data: [UInt8] = []
        data.reserveCapacity((1 << 20) + 100)
        let raw = max(1, Int(100 * compressionRatio))
        while data.count < 1 << 20 {
            let piece = (0..<raw).map { _ in UInt8(32 + r.uniform(95)) }
            var full: [UInt8] = []
            while full.count < 100 { full += piece }
            data += full[0..<100]
        }
        self.data = data
    }

    /// The next `length` bytes of the buffer.
    public mutating func next(_ length: Int) -> [UInt8] {
        precondition(length <= data.count, "value larger than the generator's buffer")
        if position + length > data.count { position = 0 }
        defer { position += length }
        return Array(data[position..<position + length])
    }
}
