import Testing
import TesseraCore
@testable import TesseraStorage

@Suite struct MergingIteratorTests {
    func drain(_ it: inout MergingIterator) throws -> [([UInt8], Cell)] {
        var out: [([UInt8], Cell)] = []
        while it.isValid {
            out.append((it.key, it.cell))
            try it.next()
        }
        return out
    }

    @Test func eachKeyOnceWithTheNewestCell() throws {
        let a = MergeTestIterator([
            (tkey("a"), Cell(version: tversion(1), value: tkey("a1"))),
            (tkey("c"), Cell(version: tversion(5), value: tkey("c5"))),
            (tkey("e"), .tombstone(tversion(9))),
        ])
        let b = MergeTestIterator([
            (tkey("a"), Cell(version: tversion(3), value: tkey("a3"))),
            (tkey("b"), Cell(version: tversion(1), value: tkey("b1"))),
            (tkey("e"), Cell(version: tversion(2), value: tkey("e2"))),
        ])
        let c = MergeTestIterator([
            (tkey("c"), Cell(version: tversion(4), value: tkey("c4"))),
            (tkey("d"), .tombstone(tversion(1))),
        ])
        var m = MergingIterator([a, b, c])
        try m.seekToFirst()
        let got = try drain(&m)
        #expect(got.map { $0.0 } == ["a", "b", "c", "d", "e"].map(tkey))
        #expect(got.map { $0.1 } == [
            Cell(version: tversion(3), value: tkey("a3")), Cell(version: tversion(1), value: tkey("b1")),
            Cell(version: tversion(5), value: tkey("c5")), .tombstone(tversion(1)), .tombstone(tversion(9)),
        ])
        try m.seek(tkey("bb"))
        #expect(try drain(&m).map { $0.0 } == ["c", "d", "e"].map(tkey))
        try m.seek(tkey("z"))
        #expect(!m.isValid)
    }

    @Test func equalVersionsGoToTheLaterChild() throws {
        let v = tversion(7)
        var m = MergingIterator([
            MergeTestIterator([(tkey("k"), Cell(version: v, value: tkey("first")))]),
            MergeTestIterator([(tkey("k"), Cell(version: v, value: tkey("second")))]),
        ])
        try m.seekToFirst()
        #expect(m.cell.value == tkey("second"))
    }

    @Test func randomMergeMatchesAReferenceMap() throws {
        var rng = SplitMix64(seed: 17)
        var reference: [[UInt8]: Cell] = [:]
        var children: [any StorageIterator] = []
        for child in 0..<6 {
            var map: [[UInt8]: Cell] = [:]
            for _ in 0..<300 {
                let k = tkey("k\(rng.next() % 500)")
                let cell = Cell(version: tversion(rng.next() % 10_000, node: UInt32(child)), value: rng.next() % 5 == 0 ? nil : rng.bytes(4))
                map[k] = cell
            }
            for (k, c) in map { reference[k] = Cell.newest(reference[k], c) }
            children.append(MergeTestIterator(map.sorted { KeyComparison.less($0.key, $1.key) }.map { ($0.key, $0.value) }))
        }
        children.append(MergeTestIterator([]))
        var m = MergingIterator(children)
        try m.seekToFirst()
        let got = try drain(&m)
        let expected = reference.sorted { KeyComparison.less($0.key, $1.key) }
        #expect(got.map { $0.0 } == expected.map { $0.key })
        #expect(got.map { $0.1.version } == expected.map { $0.value.version })
    }

    @Test func mergesTableIterators() throws {
        let older = sampleEntries(500)
        let newer = older.enumerated().compactMap { i, e -> ([UInt8], Cell)? in
            i % 3 == 0 ? (e.0, Cell(version: tversion(1_000_000 + UInt64(i)), value: tkey("new\(i)"))) : nil
        }
        let t1 = try openTable(buildTable(older).0, fileNumber: 1)
        let t2 = try openTable(buildTable(newer).0, fileNumber: 2)
        var m = MergingIterator([t1.makeIterator(), t2.makeIterator()])
        try m.seekToFirst()
        let got = try drain(&m)
        #expect(got.count == older.count)
        for (i, (k, c)) in got.enumerated() {
            #expect(k == older[i].0)
            #expect(c == (i % 3 == 0 ? Cell(version: tversion(1_000_000 + UInt64(i)), value: tkey("new\(i)")) : older[i].1))
        }
    }
}
