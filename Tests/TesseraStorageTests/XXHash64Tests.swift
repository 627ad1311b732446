import Testing
@testable import TesseraStorage

@Suite struct XXHash64Tests {
    @Test func matchesReferenceVectors() {
        // Reference values of XXH64 with seed 0 (xxhsum -H1).
        #expect(XXHash64.hash([]) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(tkey("a")) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXHash64.hash(tkey("abc")) == 0x44BC_2CF5_AD77_0999)
        #expect(XXHash64.hash(tkey("Nobody inspects the spammish repetition")) == 0xFBCE_A83C_8A37_8BF1)
    }

    @Test func everyLengthHashesDifferently() {
        let data = (0..<100).map { UInt8($0) }
        var seen = Set<UInt64>()
        for n in 0...100 { seen.insert(XXHash64.hash(Array(data[0..<n]))) }
        #expect(seen.count == 101)
    }
}
