import Testing
@testable import TesseraStorage

@Suite struct CRC32CTests {
    @Test func matchesKnownVectors() {
        // RFC 3720 appendix B.4 and the standard check value.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func incrementalEqualsOneShotAtEveryAlignment() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = CRC32C.checksum(data)
        for split in [0, 1, 3, 7, 8, 9, 500, 999, 1000] {
            let a = data[..<split].withUnsafeBytes { CRC32C.update(0, $0) }
            let b = data[split...].withUnsafeBytes { CRC32C.update(a, $0) }
            #expect(b == whole)
        }
    }

    @Test func maskRoundTripsAndDiffers() {
        let crc = CRC32C.checksum(Array("foo".utf8))
        #expect(CRC32C.mask(crc) != crc)
        #expect(CRC32C.unmask(CRC32C.mask(crc)) == crc)
        #expect(CRC32C.unmask(CRC32C.mask(CRC32C.mask(crc))) == CRC32C.mask(crc))
    }
}
