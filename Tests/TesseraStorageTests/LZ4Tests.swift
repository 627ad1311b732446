import TesseraCore
import Testing
@testable import TesseraStorage

@Suite struct LZ4Tests {
    @Test func roundTripsCompressibleAndRandomData() throws {
        var rng = SplitMix64(seed: 7)
        let text = Array(String(repeating: "the quick brown fox jumps over the lazy dog ", count: 200).utf8)
        let random = rng.bytes(10_000)
        for input in [text, random, [UInt8](repeating: 0, count: 1), [1, 2, 3], Array(text[0..<17])] {
            let compressed = try #require(LZ4.compress(input))
            let back = try #require(LZ4.decompress(compressed, originalSize: input.count))
            #expect(back == input)
        }
        #expect(LZ4.compress(text)!.count < text.count / 4)
    }

    @Test func roundTripsEmptyInput() throws {
        let compressed = try #require(LZ4.compress([]))
        #expect(LZ4.decompress(compressed, originalSize: 0) == [])
    }

    @Test func rejectsWrongSizeAndGarbage() throws {
        let text = Array(String(repeating: "abcabcabd", count: 100).utf8)
        let compressed = try #require(LZ4.compress(text))
        #expect(LZ4.decompress(compressed, originalSize: text.count - 1) == nil)
        #expect(LZ4.decompress(compressed, originalSize: text.count + 1) == nil)
        #expect(LZ4.decompress(Array(compressed.dropLast(3)), originalSize: text.count) == nil)
        #expect(LZ4.decompress([0xFF, 0xFF, 0xFF, 0xFF], originalSize: 100) == nil)
    }

    @Test func compressesIntoACallerBuffer() {
        let input = Array(String(repeating: "0123456789", count: 400).utf8)
        var out = [UInt8](repeating: 0, count: LZ4.compressBound(input.count))
        let n = input.withUnsafeBytes { src in out.withUnsafeMutableBytes { LZ4.compress(src, into: $0) } }
        #expect(n > 0 && n < input.count)
        var back = [UInt8](repeating: 0, count: input.count)
        let ok = out.withUnsafeBytes { src in
            back.withUnsafeMutableBytes { LZ4.decompress(UnsafeRawBufferPointer(rebasing: src[0..<n]), into: $0) }
        }
        #expect(ok)
        #expect(back == input)
    }
}
