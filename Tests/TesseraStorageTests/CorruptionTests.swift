import Testing
import TesseraCore
@testable import TesseraStorage

/// Flipped bits anywhere in a table are reported as `StorageError.corruption`, never returned as data.
@Suite struct CorruptionTests {
    static let entries = sampleEntries(300)

    /// Opens the damaged table and reads every key and a full scan. Returns true if corruption was reported;
    /// records an issue if any read returned data different from what was written.
    func readEverything(_ bytes: [UInt8], context: String) -> Bool {
        let expected = Self.entries
        do {
            let reader = try openTable(bytes)
            var reported = false
            for (k, c) in expected {
                do {
                    let got = try reader.get(k)
                    // A flip can only ever hide nothing: a found key must match exactly.
                    if got != c { Issue.record("\(context): get returned wrong data for \(k)") }
                } catch {
                    guard case .corruption = error else { Issue.record("\(context): unexpected error \(error)"); return true }
                    reported = true
                }
            }
            var it = reader.makeIterator()
            do {
                try it.seekToFirst()
                var i = 0
                while it.isValid {
                    if i >= expected.count || it.key != expected[i].0 || it.cell != expected[i].1 {
                        Issue.record("\(context): scan returned wrong data at \(i)")
                        break
                    }
                    i += 1
                    try it.next()
                }
                if i != expected.count && !reported { Issue.record("\(context): scan ended early without an error") }
            } catch {
                guard case .corruption = error else { Issue.record("\(context): unexpected error \(error)"); return true }
                reported = true
            }
            return reported
        } catch {
            guard let e = error as? StorageError, case .corruption = e else {
                Issue.record("\(context): unexpected error \(error)")
                return true
            }
            return true
        }
    }

    struct Regions {
        var data: Range<Int>
        var filter: Range<Int>
        var properties: Range<Int>
        var index: Range<Int>
        var footer: Range<Int>
    }

    func regions(_ bytes: [UInt8]) throws -> Regions {
        let footer = try Footer.decode(Array(bytes.suffix(Footer.size)), fileSize: bytes.count, path: "t")
        let t = TableFormat.trailerSize
        return Regions(
            data: 0..<footer.filter.offset,
            filter: footer.filter.offset..<footer.filter.offset + footer.filter.size + t,
            properties: footer.properties.offset..<footer.properties.offset + footer.properties.size + t,
            index: footer.index.offset..<footer.index.offset + footer.index.size + t,
            footer: bytes.count - Footer.size..<bytes.count)
    }

    func flipAndCheck(_ bytes: [UInt8], range: Range<Int>, stride step: Int, name: String) {
        var position = range.lowerBound
        var bit = 0
        while position < range.upperBound {
            var damaged = bytes
            damaged[position] ^= UInt8(1 << (bit % 8))
            #expect(readEverything(damaged, context: "\(name) byte \(position) bit \(bit % 8)"), "\(name) byte \(position): flip not detected")
            position += step
            bit += 1
        }
    }

    @Test(arguments: [Compression.lz4, Compression.none])
    func flipsInDataBlocksAreDetected(compression: Compression) throws {
        let (bytes, _) = try buildTable(Self.entries, options: TableOptions(blockSize: 1024, compression: compression))
        let r = try regions(bytes)
        #expect(r.data.count > 5_000)
        flipAndCheck(bytes, range: r.data, stride: 37, name: "data")
    }

    @Test func flipsInIndexFilterPropertiesAndFooterAreDetectedAtOpen() throws {
        let (bytes, _) = try buildTable(Self.entries, options: TableOptions(blockSize: 1024))
        let r = try regions(bytes)
        for (name, range) in [("filter", r.filter), ("properties", r.properties), ("index", r.index), ("footer", r.footer)] {
            #expect(!range.isEmpty)
            for position in range {
                var damaged = bytes
                damaged[position] ^= UInt8(1 << (position % 8))
                #expect(throws: StorageError.self, "\(name) byte \(position)") { try openTable(damaged) }
            }
        }
    }

    @Test func flippedDataBlockFailsOnlyTheKeysItHolds() throws {
        let (bytes, _) = try buildTable(Self.entries, options: TableOptions(blockSize: 1024))
        let reader = try openTable(bytes)
        var it = BlockIterator(reader.index)
        try it.seekToFirst()
        try it.next()
        let second = try reader.handleAt(it)
        var damaged = bytes
        damaged[second.offset + second.size / 2] ^= 0x10
        let bad = try openTable(damaged)
        var failed = 0
        for (k, c) in Self.entries {
            do {
                #expect(try bad.get(k) == c)
            } catch {
                guard case .corruption(let file, let offset, let reason) = error else { Issue.record("\(error)"); continue }
                #expect(file == "test.sst")
                #expect(offset == second.offset)
                #expect(reason.contains("checksum"))
                failed += 1
            }
        }
        #expect(failed > 0 && failed < Self.entries.count / 2)
    }

    @Test func truncatedFileIsCorruption() throws {
        let (bytes, _) = try buildTable(Self.entries)
        for cut in [1, 10, 64, bytes.count / 2] {
            #expect(throws: StorageError.self) { try openTable(Array(bytes.dropLast(cut))) }
        }
    }
}
