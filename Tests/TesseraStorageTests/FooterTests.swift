import Testing
@testable import TesseraStorage

@Suite struct FooterTests {
    @Test func encodesToSixtyFourBytesAndDecodes() throws {
        let footer = Footer(
            filter: BlockHandle(offset: 1000, size: 125), index: BlockHandle(offset: 1300, size: 77),
            properties: BlockHandle(offset: 1130, size: 90))
        let bytes = footer.encode()
        #expect(bytes.count == Footer.size)
        #expect(Array(bytes[56..<64]) == [0x31, 0x41, 0x52, 0x45, 0x53, 0x53, 0x45, 0x54])  // "TESSERA1" as LE UInt64
        #expect(try Footer.decode(bytes, fileSize: 2000, path: "t") == footer)
    }

    @Test func everyFlippedBitIsDetected() throws {
        let footer = Footer(
            filter: BlockHandle(offset: 0, size: 0), index: BlockHandle(offset: 10, size: 20),
            properties: BlockHandle(offset: 40, size: 30))
        let bytes = footer.encode()
        for bit in 0..<(Footer.size * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(throws: StorageError.self, "bit \(bit)") { try Footer.decode(damaged, fileSize: 500, path: "t") }
        }
    }

    @Test func handlesOutsideTheFileAreRejected() {
        let footer = Footer(
            filter: BlockHandle(offset: 0, size: 0), index: BlockHandle(offset: 10, size: 2000),
            properties: BlockHandle(offset: 40, size: 30))
        #expect(throws: StorageError.self) { try Footer.decode(footer.encode(), fileSize: 500, path: "t") }
    }

    @Test func blockHandlesRoundTrip() {
        for h in [BlockHandle(offset: 0, size: 0), BlockHandle(offset: 1 << 40, size: 1 << 24), BlockHandle(offset: 127, size: 128)] {
            var w = ByteWriter()
            h.encode(into: &w)
            var r = ByteReader(w.bytes)
            #expect(BlockHandle.decode(from: &r) == h)
            #expect(w.bytes.withUnsafeBufferPointer { BlockHandle.decode($0.baseAddress!, count: $0.count) } == h)
            #expect(w.bytes.withUnsafeBufferPointer { BlockHandle.decode($0.baseAddress!, count: $0.count - 1) } == nil)
        }
    }
}

@Suite struct IndexTests {
    @Test func indexHasOneEntryPerDataBlockNamingItsLastKey() throws {
        let entries = sampleEntries(3_000)
        let (bytes, props) = try buildTable(entries, options: TableOptions(blockSize: 1024))
        let reader = try openTable(bytes)
        var it = BlockIterator(reader.index)
        try it.seekToFirst()
        var count = 0
        var previousEnd = 0
        var seenKeys = 0
        while it.isValid {
            let handle = try reader.handleAt(it)
            #expect(handle.offset == previousEnd)  // data blocks are contiguous from offset 0
            previousEnd = handle.offset + handle.size + TableFormat.trailerSize
            let block = try reader.dataBlock(handle)
            var data = BlockIterator(block)
            try data.seekToFirst()
            var last: [UInt8] = []
            while data.isValid {
                last = data.key
                seenKeys += 1
                try data.next()
            }
            #expect(last == it.key)
            count += 1
            try it.next()
        }
        #expect(count == props.dataBlockCount)
        #expect(count > 10)
        #expect(seenKeys == entries.count)
    }
}
