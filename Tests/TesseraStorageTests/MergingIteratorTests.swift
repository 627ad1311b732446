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
        let a = ArrayIterator([
            (key("a"), Cell(version: version(1), value: key("a1"))),
            (key("c"), Cell(version: version(5), value: key("c5"))),
            (key("e"), .tombstone(version(9))),
        ])
        let b = ArrayIterator([
            (key("a"), Cell(version: version(3), value: key("a3"))),
            (key("b"), Cell(version: version(1), value: key("b1"))),
            (key("e"), Cell(version: version(2), value: key("e2"))),
        ])
        let c = ArrayIterator([
            (key("c"), Cell(version: version(4), value: key("c4"))),
            (key("d"), .tombstone(version(1))),
        ])
        var m = MergingIterator([a, b, c])
        try m.seekToFirst()
        let got = try drain(&m)
        #expect(got.map { $0.0 } == ["a", "b", "c", "d", "e"].map(key))
        #expect(got.map { $0.1 } == [
            Cell(version: version(3), value: key("a3")), Cell(version: version(1), value: key("b1")),
            Cell(version: version(5), value: key("c5")), .tombstone(version(1)), .tombstone(version(9)),
        ])
        try m.seek(key("bb"))
        #expect(try drain(&m).map { $0.0 } == ["c", "d", "e"].map(key))
        try m.seek(key("z"))
        #expect(!m.isValid)
    }

    @Test func equalVersionsGoToTheLaterChild() throws {
        let v = version(7)
        var m = MergingIterator([
            ArrayIterator([(key("k"), Cell(version: v, value: key("first")))]),
            ArrayIterator([(key("k"), Cell(version: v, value: key("second")))]),
        ])
        try m.seekToFirst()
        #expect(m.cell.value == key("second"))
    }

    @Test func randomMergeMatchesAReferenceMap() throws {
        var rng = TestRNG(seed: 17)
        var reference: [[UInt8]: Cell] = [:]
        var children: [any StorageIterator] = []
        for child in 0..<6 {
            var map: [[UInt8]: Cell] = [:]
            for _ in 0..<300 {
                let k = key("k\(rng.next() % 500)")
                let cell = Cell(version: version(rng.next() % 10_000, node: UInt32(child)), value: rng.next() % 5 == 0 ? nil : rng.bytes(4))
                map[k] = cell
            }
            for (k, c) in map { reference[k] = Cell.newest(reference[k], c) }
            children.append(ArrayIterator(map.sorted { KeyComparison.less($0.key, $1.key) }.map { ($0.key, $0.value) }))
        }
        children.append(ArrayIterator([]))
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
            i % 3 == 0 ? (e.0, Cell(version: version(1_000_000 + UInt64(i)), value: key("new\(i)"))) : nil
        }
        let t1 = try openTable(buildTable(older).0, fileNumber: 1)
        let t2 = try openTable(buildTable(newer).0, fileNumber: 2)
        var m = MergingIterator([t1.makeIterator(), t2.makeIterator()])
        try m.seekToFirst()
        let got = try drain(&m)
        #expect(got.count == older.count)
        for (i, (k, c)) in got.enumerated() {
            #expect(k == older[i].0)
            #expect(c == (i % 3 == 0 ? Cell(version: version(1_000_000 + UInt64(i)), value: key("new\(i)")) : older[i].1))
        }
    }
}
