import Testing
import TesseraCore
@testable import TesseraStorage

@Suite struct TableTests {
    func scanAll(_ reader: TableReader) throws -> [([UInt8], Cell)] {
        var it = reader.makeIterator()
        var out: [([UInt8], Cell)] = []
        try it.seekToFirst()
        while it.isValid {
            out.append((it.key, it.cell))
            #expect(it.version == it.cell.version)
            try it.next()
        }
        return out
    }

    @Test(arguments: [
        TableOptions(),
        TableOptions(blockSize: 256, restartInterval: 1, bloomBitsPerKey: 10, compression: .none),
        TableOptions(blockSize: 64, restartInterval: 3, bloomBitsPerKey: 0, compression: .lz4),
        TableOptions(blockSize: 32 * 1024, restartInterval: 32, bloomBitsPerKey: 16, compression: .lz4),
    ])
    func roundTripsGetsAndScans(options: TableOptions) throws {
        let entries = sampleEntries(2_000)
        let (bytes, props) = try buildTable(entries, options: options)
        let reader = try openTable(bytes)
        #expect(reader.properties == props)
        #expect(props.entryCount == 2_000)
        #expect(props.tombstoneCount == 200)
        #expect(props.fileSize == bytes.count)
        #expect(props.smallestKey == entries.first!.0)
        #expect(props.largestKey == entries.last!.0)
        #expect(props.minVersion == tversion(1, node: 0))
        #expect(props.maxVersion == tversion(2_000))
        for (k, c) in entries { #expect(try reader.get(k) == c) }
        // Missing keys: odd numbers in range, before the first, after the last.
        for i in stride(from: 1, to: 4_000, by: 98) {
            #expect(try reader.get(tkey("key" + String(repeating: "0", count: max(0, 8 - String(i).count)) + String(i))) == nil)
        }
        #expect(try reader.get(tkey("a")) == nil)
        #expect(try reader.get(tkey("zzz")) == nil)
        let scanned = try scanAll(reader)
        #expect(scanned.count == entries.count)
        #expect(scanned.map { $0.0 } == entries.map { $0.0 })
        #expect(scanned.map { $0.1 } == entries.map { $0.1 })
    }

    @Test func randomBinaryKeysAndValuesRoundTrip() throws {
        var rng = SplitMix64(seed: 99)
        var map: [[UInt8]: Cell] = [:]
        for i in 0..<3_000 {
            let k = rng.bytes(1 + Int(rng.next() % 40))
            let value: [UInt8]? = i % 7 == 0 ? nil : rng.bytes(Int(rng.next() % 300))
            map[k] = Cell(version: tversion(rng.next() >> 20, node: UInt32(truncatingIfNeeded: rng.next())), value: value)
        }
        let entries = map.sorted { KeyComparison.less($0.key, $1.key) }.map { ($0.key, $0.value) }
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 1024))
        let reader = try openTable(bytes, cache: BlockCache(capacityBytes: 64 * 1024))
        for (k, c) in entries { #expect(try reader.get(k) == c) }
        for _ in 0..<500 {
            let k = rng.bytes(1 + Int(rng.next() % 40))
            #expect(try reader.get(k) == map[k])
        }
        let scanned = try scanAll(reader)
        #expect(scanned.map { $0.0 } == entries.map { $0.0 })
    }

    @Test func seekLandsOnFirstKeyAtOrAfterTarget() throws {
        let entries = sampleEntries(1_000)
        let (bytes, _) = try buildTable(entries, options: TableOptions(blockSize: 512))
        let reader = try openTable(bytes)
        var it = reader.makeIterator()
        for i in stride(from: 0, to: 2_100, by: 13) {
            let target = tkey("key" + String(repeating: "0", count: max(0, 8 - String(i).count)) + String(i))
            try it.seek(target)
            let expected = entries.firstIndex { !KeyComparison.less($0.0, target) }
            #expect(it.isValid == (expected != nil))
            if let expected {
                #expect(it.key == entries[expected].0)
                // Walking on crosses block boundaries in order.
                for j in expected..<min(expected + 40, entries.count) {
                    #expect(it.key == entries[j].0)
                    #expect(it.cell == entries[j].1)
                    try it.next()
                }
            }
        }
        try it.seek([])
        #expect(it.key == entries[0].0)
    }

    @Test func emptyTableOpensAndIsEmpty() throws {
        let (bytes, props) = try buildTable([])
        #expect(props.entryCount == 0 && props.dataBlockCount == 0)
        let reader = try openTable(bytes)
        #expect(try reader.get(tkey("a")) == nil)
        var it = reader.makeIterator()
        try it.seekToFirst()
        #expect(!it.isValid)
        try it.seek(tkey("a"))
        #expect(!it.isValid)
    }

    @Test func hugeKeyAndSixteenMiBValueRoundTrip() throws {
        var rng = SplitMix64(seed: 5)
        let bigKey = [0x62] + rng.bytes(Limits.maxKeySize - 1)  // sorts between "a" and [0xFF]
        let bigValue = rng.bytes(Limits.maxValueSize)
        let entries: [([UInt8], Cell)] = [
            (tkey("a"), Cell(version: tversion(1), value: tkey("small"))),
            (bigKey, Cell(version: tversion(2), value: bigValue)),
            ([0xFF], Cell(version: tversion(3), value: bigValue[0..<1000].map { $0 })),
        ]
        let (bytes, _) = try buildTable(entries)
        let reader = try openTable(bytes)
        for (k, c) in entries { #expect(try reader.get(k) == c) }
        #expect(try scanAll(reader).map { $0.0 } == entries.map { $0.0 })
    }

    @Test func oversizedKeyOrValueIsAClearError() throws {
        let file = TableTestWritableFile()
        var builder = TableBuilder(file: file, path: "t.sst", options: TableOptions())
        #expect(throws: StorageError.self) {
            try builder.add([UInt8](repeating: 1, count: Limits.maxKeySize + 1), Cell(version: tversion(1), value: []))
        }
        do {
            try builder.add(tkey("k"), Cell(version: tversion(1), value: [UInt8](repeating: 0, count: Limits.maxValueSize + 1)))
            Issue.record("expected an error")
        } catch {
            guard case .invalidArgument(let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(message.contains("16 MiB"))
        }
        // The builder is still usable.
        try builder.add(tkey("k"), Cell(version: tversion(1), value: tkey("v")))
        _ = try builder.finish()
        #expect(try openTable(file.bytes).get(tkey("k"))?.value == tkey("v"))
    }

    @Test func incompressibleBlocksAreStoredRawAndTextBlocksCompressed() throws {
        var rng = SplitMix64(seed: 11)
        let randomEntries = (0..<200).map { i in (tkey("r\(10_000 + i)"), Cell(version: tversion(1), value: rng.bytes(200))) }
        let (randomBytes, _) = try buildTable(randomEntries)
        let textEntries = sampleEntries(200)
        let (textBytes, _) = try buildTable(textEntries)
        // The first data block's trailer type byte sits right after the block: read it via the index.
        func firstBlockType(_ bytes: [UInt8]) throws -> UInt8 {
            let reader = try openTable(bytes)
            var it = BlockIterator(reader.index)
            try it.seekToFirst()
            let handle = try reader.handleAt(it)
            return bytes[handle.offset + handle.size]
        }
        #expect(try firstBlockType(randomBytes) == TableFormat.typeNone)
        #expect(try firstBlockType(textBytes) == TableFormat.typeLZ4)
        #expect(try openTable(randomBytes).get(randomEntries[57].0) == randomEntries[57].1)
        // Compression roughly halves the text table.
        let (uncompressed, _) = try buildTable(textEntries, options: TableOptions(compression: .none))
        #expect(textBytes.count < uncompressed.count * 4 / 5)
    }

    @Test func builderReportsSizeAndSyncsOnFinish() throws {
        let file = TableTestWritableFile()
        var builder = TableBuilder(file: file, path: "t.sst", options: TableOptions())
        #expect(builder.estimatedFileSize < 16)  // an empty block: just its restart array
        var sizes: [Int] = []
        for (i, (k, c)) in sampleEntries(500).enumerated() {
            try builder.add(k, c)
            if i % 100 == 99 { sizes.append(builder.estimatedFileSize) }
        }
        // The estimate grows with the data (it counts the open block uncompressed, so it may dip when a
        // block is compressed, but not over hundreds of entries).
        #expect(sizes == sizes.sorted() && Set(sizes).count == sizes.count)
        let last = builder.estimatedFileSize
        #expect(builder.entryCount == 500)
        let props = try builder.finish()
        #expect(file.syncCount == 1)
        #expect(props.fileSize == file.bytes.count)
        #expect(last <= props.fileSize && props.fileSize < last + 4096)
    }

    @Test func blockCacheServesRepeatedReads() throws {
        let entries = sampleEntries(2_000)
        let (bytes, _) = try buildTable(entries)
        let cache = BlockCache(capacityBytes: 1 << 20)
        let file = TableTestReadFile(bytes)
        let reader = try TableReader.open(file: file, path: "t.sst", fileNumber: 9, cache: cache)
        let readsAfterOpen = file.readCount
        for (k, c) in entries { #expect(try reader.get(k) == c) }
        let readsFirstPass = file.readCount - readsAfterOpen
        #expect(readsFirstPass == reader.properties.dataBlockCount)
        for (k, c) in entries { #expect(try reader.get(k) == c) }
        #expect(file.readCount - readsAfterOpen == readsFirstPass)
        #expect(cache.hits >= entries.count)
        #expect(cache.misses == reader.properties.dataBlockCount)
    }

    @Test func notATableIsCorruption() throws {
        #expect(throws: StorageError.self) { try openTable([1, 2, 3]) }
        #expect(throws: StorageError.self) { try openTable([UInt8](repeating: 0, count: 200)) }
    }
}
