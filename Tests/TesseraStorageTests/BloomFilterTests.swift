import Foundation
import Testing
@testable import TesseraStorage

@Suite struct BloomFilterTests {
    @Test func noFalseNegativesAndUnderOnePercentFalsePositivesAt10BitsPerKey() throws {
        let n = 100_000
        let hashes = (0..<n).map { BloomFilter.hash(tkey(String(format: "%016llu", UInt64(2 * $0)))) }
        let filter = try #require(BloomFilter(BloomFilter.build(hashes: hashes, bitsPerKey: 10)))
        #expect(filter.numProbes == 7)
        #expect(filter.bytes.count == n * 10 / 8 + 1)
        for h in hashes { #expect(filter.mayContain(hash: h)) }
        var falsePositives = 0
        for i in 0..<n where filter.mayContain(tkey(String(format: "%016llu", UInt64(2 * i + 1)))) { falsePositives += 1 }
        let rate = Double(falsePositives) / Double(n)
        #expect(rate < 0.01, "false-positive rate \(rate)")
        #expect(rate > 0.002, "suspiciously low false-positive rate \(rate): is the filter probing?")
    }

    @Test func tinyAndEmptyFiltersWork() throws {
        let empty = try #require(BloomFilter(BloomFilter.build(hashes: [], bitsPerKey: 10)))
        #expect(!empty.mayContain(tkey("x")))
        let one = try #require(BloomFilter(BloomFilter.build(hashes: [BloomFilter.hash(tkey("x"))], bitsPerKey: 10)))
        #expect(one.mayContain(tkey("x")))
        #expect(one.bytes.count == 9)  // 64-bit minimum + probe count
    }

    @Test func moreBitsPerKeyMeansFewerFalsePositives() throws {
        let n = 20_000
        let hashes = (0..<n).map { BloomFilter.hash(tkey("present-\($0)")) }
        var rates: [Double] = []
        for bits in [4, 10, 16] {
            let f = try #require(BloomFilter(BloomFilter.build(hashes: hashes, bitsPerKey: bits)))
            let fp = (0..<n).filter { f.mayContain(tkey("absent-\($0)")) }.count
            rates.append(Double(fp) / Double(n))
        }
        #expect(rates[0] > rates[1] && rates[1] > rates[2])
    }

    @Test func unknownProbeCountMeansMayContain() throws {
        var bytes = BloomFilter.build(hashes: [], bitsPerKey: 10)
        bytes[bytes.count - 1] = 31
        let f = try #require(BloomFilter(bytes))
        #expect(f.mayContain(tkey("anything")))
        #expect(BloomFilter([7]) == nil)
    }
}
