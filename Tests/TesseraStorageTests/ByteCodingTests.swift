import Testing
@testable import TesseraStorage

@Suite struct ByteCodingTests {
    @Test func varintsRoundTripAtEveryWidth() {
        let values: [UInt64] = [0, 1, 127, 128, 255, 300, 16_383, 16_384, 1 << 31, UInt64(UInt32.max), 1 << 56, .max]
        var w = ByteWriter()
        for v in values { w.appendVarint(v) }
        var r = ByteReader(w.bytes)
        for v in values {
            #expect(r.readVarint() == v)
        }
        #expect(r.isAtEnd)
        for v in values {
            var one = ByteWriter()
            one.appendVarint(v)
            #expect(one.count == ByteWriter.varintSize(v))
        }
    }

    @Test func truncatedInputReadsAsNil() {
        var w = ByteWriter()
        w.appendVarint(UInt64(1) << 40)
        var r = ByteReader(Array(w.bytes.dropLast()))
        #expect(r.readVarint() == nil)
        var r2 = ByteReader([1, 2, 3])
        #expect(r2.readFixed32() == nil)
        var r3 = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(r3.readVarint() == nil)
        var r4 = ByteReader([5, 1, 2])
        #expect(r4.readLengthPrefixed() == nil)
    }

    @Test func fixedWidthIsLittleEndian() {
        var w = ByteWriter()
        w.appendFixed32(0x0403_0201)
        w.appendFixed64(0x0C0B_0A09_0807_0605)
        #expect(w.bytes == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        var r = ByteReader(w.bytes)
        #expect(r.readFixed32() == 0x0403_0201)
        #expect(r.readFixed64() == 0x0C0B_0A09_0807_0605)
    }

    @Test func hotPathVarint32DecoderStopsAtLimit() {
        let bytes: [UInt8] = [0xAC, 0x02, 0x80]
        bytes.withUnsafeBufferPointer { b in
            let p = b.baseAddress!
            let r = decodeVarint32(p, p + 3)
            #expect(r?.value == 300)
            #expect(r?.next == p + 2)
            #expect(decodeVarint32(p + 2, p + 3) == nil)
            #expect(decodeVarint32(p, p + 1) == nil)
        }
    }

    @Test func keyComparisonIsUnsignedBytewiseShorterFirst() {
        #expect(KeyComparison.compare(tkey("a"), tkey("b")) < 0)
        #expect(KeyComparison.compare(tkey("ab"), tkey("a")) > 0)
        #expect(KeyComparison.compare([], tkey("a")) < 0)
        #expect(KeyComparison.compare([], []) == 0)
        #expect(KeyComparison.compare([0x7F], [0x80]) < 0)
        #expect(KeyComparison.compare([0xFF], [0x00, 0x00]) > 0)
        #expect(KeyComparison.compare(tkey("same"), tkey("same")) == 0)
    }
}
