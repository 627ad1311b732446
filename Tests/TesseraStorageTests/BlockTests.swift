import TesseraCore
import Testing
@testable import TesseraStorage

@Suite struct BlockTests {
    /// Builds a block and parses it back.
    func build(_ entries: [([UInt8], [UInt8])], restartInterval: Int = 16) throws -> Block {
        var b = BlockBuilder(restartInterval: restartInterval)
        for (k, v) in entries { b.add(key: k, value: v) }
        let bytes = b.finish()
        return try Block.parse(bytes, size: bytes.count).get()
    }

    func scan(_ block: Block) throws -> [([UInt8], [UInt8])] {
        var it = BlockIterator(block)
        var out: [([UInt8], [UInt8])] = []
        try it.seekToFirst()
        while it.isValid {
            out.append((it.key, it.value))
            try it.next()
        }
        return out
    }

    func numbered(_ n: Int) -> [([UInt8], [UInt8])] {
        (0..<n).map { i in (tkey("k" + String(format6(i * 2))), tkey("value-\(i)")) }
    }

    func format6(_ i: Int) -> String { String(repeating: "0", count: max(0, 6 - String(i).count)) + String(i) }

    @Test func emptyBlockHasOneRestartAndNoEntries() throws {
        var b = BlockBuilder(restartInterval: 16)
        let bytes = b.finish()
        #expect(bytes == [0, 0, 0, 0, 1, 0, 0, 0])
        let block = try Block.parse(bytes, size: bytes.count).get()
        #expect(block.isEmpty)
        var it = BlockIterator(block)
        try it.seekToFirst()
        #expect(!it.isValid)
        try it.seek(tkey("anything"))
        #expect(!it.isValid)
    }

    @Test func restartPointsEveryIntervalHoldWholeKeys() throws {
        let entries = numbered(100)
        let block = try build(entries, restartInterval: 16)
        #expect(block.numRestarts == 7)  // entries 0, 16, 32, 48, 64, 80, 96
        // Each restart entry has shared == 0 and its full key stored.
        for r in 0..<block.numRestarts {
            let offset = Int(block.data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: block.restartsOffset + 4 * r, as: UInt32.self) })
            var reader = ByteReader(block.data, offset: offset)
            #expect(reader.readVarint() == 0)
            let nonShared = reader.readVarintInt()!
            _ = reader.readVarint()
            #expect(reader.readBytes(nonShared) == entries[r * 16].0)
        }
        #expect(try scan(block).map { $0.0 } == entries.map { $0.0 })
        #expect(try scan(block).map { $0.1 } == entries.map { $0.1 })
    }

    @Test func prefixCompressionShrinksSharedPrefixes() throws {
        let entries = (0..<64).map { i in (tkey(String(repeating: "p", count: 200) + "\(1000 + i)"), [UInt8(i)]) }
        let block = try build(entries)
        #expect(block.size < 64 * 210 / 4)  // whole keys only at the 4 restarts
        #expect(try scan(block).map { $0.0 } == entries.map { $0.0 })
    }

    @Test func prefixCompressionEdgeCases() throws {
        // Empty first key, keys that are prefixes of the next, nothing shared, 0x00 and 0xFF bytes,
        // a long shared run followed by a shorter key.
        let keys: [[UInt8]] = [
            [], [0x00], [0x00, 0x00], [0x00, 0x01], tkey("a"), tkey("ab"), tkey("abc"), tkey("abcd"), tkey("abd"),
            tkey("b"), Array(repeating: 0x61, count: 300) + [0x62], tkey("bb"), [0x7F], [0x80], [0xFF], [0xFF, 0xFF],
        ]
        for interval in [1, 2, 3, 16] {
            let entries = keys.enumerated().map { ($0.element, tkey("v\($0.offset)")) }
            let block = try build(entries, restartInterval: interval)
            let got = try scan(block)
            #expect(got.map { $0.0 } == keys, "restart interval \(interval)")
            #expect(got.map { $0.1 } == entries.map { $0.1 })
        }
    }

    @Test func seekFindsFirstKeyAtOrAfterTarget() throws {
        let entries = numbered(200)
        for interval in [1, 4, 16, 1000] {
            let block = try build(entries, restartInterval: interval)
            var it = BlockIterator(block)
            for i in 0..<400 {
                let target = tkey("k" + format6(i))
                try it.seek(target)
                let expected = entries.first { !KeyComparison.less($0.0, target) }
                #expect(it.isValid == (expected != nil))
                if let expected { #expect(it.key == expected.0 && it.value == expected.1) }
            }
            try it.seek([])
            #expect(it.key == entries[0].0)
            try it.seek(tkey("z"))
            #expect(!it.isValid)
            // Seek then continue with next().
            try it.seek(tkey("k000101"))
            try it.next()
            #expect(it.key == tkey("k000104"))
        }
    }

    @Test func hugeKeysAndValuesRoundTrip() throws {
        var rng = SplitMix64(seed: 3)
        let bigKey = [0x01] + rng.bytes(64 * 1024 - 1)  // sorts before "zz"
        let bigValue = rng.bytes(16 * 1024 * 1024)
        let entries: [([UInt8], [UInt8])] = [(bigKey, tkey("small")), (bigKey + [0], bigValue), (tkey("zz"), [])]
        let block = try build(entries)
        let got = try scan(block)
        #expect(got.count == 3)
        #expect(got[0].0 == bigKey)
        #expect(got[1].0 == bigKey + [0])
        #expect(got[1].1 == bigValue)
        #expect(got[2].1 == [])
        var it = BlockIterator(block)
        try it.seek(bigKey + [0])
        #expect(it.valueLength == bigValue.count)
    }

    @Test func truncatedOrBogusRestartArrayIsRejected() {
        #expect(throws: BlockCorruption.self) { try Block.parse([1, 2], size: 2).get() }
        // Claims 1000 restarts in an 8-byte block.
        #expect(throws: BlockCorruption.self) { try Block.parse([0, 0, 0, 0, 0xE8, 0x03, 0, 0], size: 8).get() }
        // Zero restarts.
        #expect(throws: BlockCorruption.self) { try Block.parse([0, 0, 0, 0], size: 4).get() }
    }

    @Test func badEntryHeaderIsReportedNotTrapped() throws {
        // One entry claiming a 200-byte value in a tiny block.
        var bytes: [UInt8] = [0, 1, 200, 0x61]
        bytes += [0, 0, 0, 0, 1, 0, 0, 0]
        let block = try Block.parse(bytes, size: bytes.count).get()
        var it = BlockIterator(block)
        #expect(throws: BlockCorruption.self) { try it.seekToFirst() }
    }

    @Test func allocationFreeSearchAgreesWithIteratorSeek() throws {
        var rng = SplitMix64(seed: 21)
        // Random short keys over a tiny alphabet: many shared prefixes, prefixes of each other.
        var keySet = Set<[UInt8]>()
        while keySet.count < 400 { keySet.insert((0..<Int(rng.next() % 8)).map { _ in UInt8(0x61 + rng.next() % 3) }) }
        let keys = keySet.sorted { KeyComparison.less($0, $1) }
        var targets = keys
        for _ in 0..<400 { targets.append((0..<Int(rng.next() % 7)).map { _ in UInt8(0x60 + rng.next() % 5) }) }
        for interval in [1, 2, 3, 16, 1000] {
            let entries = keys.enumerated().map { ($0.element, tkey("v\($0.offset)")) }
            let block = try build(entries, restartInterval: interval)
            var it = BlockIterator(block)
            for target in targets {
                try it.seek(target)
                let hit = try block.search(target)
                #expect((hit != nil) == it.isValid, "interval \(interval) target \(target)")
                if let hit, it.isValid {
                    #expect(hit.exact == (it.key == target))
                    #expect(hit.valueOffset == it.valueOffset && hit.valueLength == it.valueLength)
                }
            }
        }
        let empty = try build([])
        #expect(try empty.search(tkey("a")) == nil)
    }
}
