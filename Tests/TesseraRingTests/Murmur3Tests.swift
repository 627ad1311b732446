import TesseraRing
import Testing

@Suite struct Murmur3Tests {
    /// Cassandra tokens from the DataStax drivers' test suites (python-driver test_metadata.py, ruby-driver
    /// murmur3_spec.rb), which check them against Cassandra's Murmur3Partitioner.
    static let cassandraVectors: [([UInt8], Int64)] = [
        (Array("123".utf8), -7_468_325_962_851_647_638),
        (Array(repeating: [0x00, 0xff, 0x10, 0xfa, 0x99], count: 10).flatMap { $0 }, 5_837_342_703_291_459_765),
        (Array(repeating: 0xfe, count: 8), -8_927_430_733_708_461_935),
        (Array(repeating: 0x10, count: 8), 1_446_172_840_243_228_796),
        (Array("9223372036854775807".utf8), 7_162_290_910_810_015_547),
        (Array(1...16), -5_563_837_382_979_743_776),
        (Array(2...17), -1_513_403_162_740_402_161),
        (Array(3...18), -495_360_443_712_684_655),
        (Array(4...19), 1_734_091_135_765_407_943),
        (Array(5...20), -3_199_412_112_042_527_988),
        (Array(6...21), -6_316_563_938_475_080_831),
        (Array(7...22), 8_228_893_370_679_682_632),
        (Array(repeating: 0x00, count: 16), 5_457_549_051_747_178_710),
        (Array(repeating: 0xff, count: 16), -2_824_192_546_314_762_522),
        (Array(repeating: 0xfe, count: 16), -833_317_529_301_936_754),
        ([0x00, 0x01, 0x02, 0x03] + Array(repeating: 0xff, count: 12), 6_463_632_673_159_404_390),
        (Array(repeating: 0xfe, count: 17), -1_672_437_813_826_982_685),
        ([0xfe, 0xfe, 0xfe, 0xfe], 4_566_408_979_886_474_012),
        ([0x00, 0x00, 0x00, 0x00], -3_485_513_579_396_041_028),
        ([0x00, 0x01, 0x7f, 0x7f], 6_573_459_401_642_635_627),
        ([0x00, 0xff, 0xff, 0xff], 123_573_637_386_978_882),
        ([0xff, 0x01, 0x02, 0x03], -2_839_127_690_952_877_842),
        ([0xe2, 0xe7], -8_582_699_461_035_929_883),
        ([0xe2, 0xe7, 0xe2, 0xe7, 0xe2, 0xe7, 0x01], 2_222_373_981_930_033_306),
    ]

    @Test func tokensMatchCassandrasMurmur3Partitioner() {
        for (key, expected) in Self.cassandraVectors {
            #expect(Murmur3.token(for: key) == expected, "key \(key)")
        }
    }

    /// SMHasher's VerificationTest for MurmurHash3_x64_128: hash keys {}, {0}, {0,1}, ... {0..254} with seed
    /// 256 - i, hash the concatenated 16-byte digests with seed 0; the first 4 bytes read 0x6384BA69.
    @Test func referenceHashPassesSMHasherVerification() {
        let key: [UInt8] = (0..<256).map { UInt8($0) }
        var digests: [UInt8] = []
        for i in 0..<256 {
            let (h1, h2) = key.withUnsafeBytes {
                Murmur3.hash128(UnsafeRawBufferPointer(rebasing: $0[0..<i]), seed: UInt64(256 - i))
            }
            for half in [h1, h2] {
                for b in 0..<8 { digests.append(UInt8(truncatingIfNeeded: half >> (8 * UInt64(b)))) }
            }
        }
        let (final1, _) = digests.withUnsafeBytes { Murmur3.hash128($0, seed: 0) }
        #expect(UInt32(truncatingIfNeeded: final1) == 0x6384_BA69)
    }

    @Test func cassandraVariantDiffersFromReferenceOnlyForHighTailBytes() {
        let ascii = Array("hello world, this is a key".utf8)  // tail bytes < 0x80: identical
        let a = ascii.withUnsafeBytes { Murmur3.hash128($0, seed: 0) }
        let b = ascii.withUnsafeBytes { Murmur3.cassandraHash128($0, seed: 0) }
        #expect(a == b)
        let high: [UInt8] = Array(repeating: 0xfe, count: 8)
        let c = high.withUnsafeBytes { Murmur3.hash128($0, seed: 0) }
        let d = high.withUnsafeBytes { Murmur3.cassandraHash128($0, seed: 0) }
        #expect(c != d)
        #expect(Int64(bitPattern: d.0) == -8_927_430_733_708_461_935)
    }

    @Test func emptyKeyHashesToZero() {
        // The reference MurmurHash3_x64_128 of the empty input with seed 0 is all zeros.
        let zero = [UInt8]().withUnsafeBytes { Murmur3.hash128($0, seed: 0) }
        #expect(zero == (0, 0))
        #expect(Murmur3.token(for: []) == 0)
    }
}
