import Testing
import TesseraCore
@testable import TesseraStorage

@Suite struct MemtableTests {
    @Test func keepsKeysSortedAndIteratesInOrder() throws {
        var m = Memtable(expectedBytes: 4096)
        var rng = TestRNG(seed: 1)
        var keys: Set<[UInt8]> = []
        for _ in 0..<2000 {
            let k = T.key(Int.random(in: 0..<5000, using: &rng))
            keys.insert(k)
            m.insert(k, Cell(version: T.v(1), value: k))
        }
        #expect(m.count == keys.count)
        var it = FrozenMemtable(m, logNumber: 0).makeIterator()
        try it.seekToFirst()
        var got: [[UInt8]] = []
        while it.isValid {
            got.append(it.key)
            #expect(it.cell.value == it.key)
            try it.next()
        }
        #expect(got == keys.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test func ordersKeysOfAnyLengthAndZeroBytesLikeByteWiseComparison() throws {
        // Keys of 1 to 40 bytes from a tiny alphabet with zeros: exercises the inline 16-byte prefixes, their
        // zero padding and the fallback to the arena.
        var m = Memtable(expectedBytes: 4096)
        var rng = TestRNG(seed: 9)
        var keys: Set<[UInt8]> = []
        for _ in 0..<3000 {
            let k = (0..<Int.random(in: 1...40, using: &rng)).map { _ in UInt8.random(in: 0...2, using: &rng) }
            keys.insert(k)
            m.insert(k, Cell(version: T.v(1), value: k))
        }
        var it = FrozenMemtable(m, logNumber: 0).makeIterator()
        try it.seekToFirst()
        var got: [[UInt8]] = []
        while it.isValid {
            got.append(it.key)
            try it.next()
        }
        #expect(got == keys.sorted { $0.lexicographicallyPrecedes($1) })
        for k in keys.prefix(200) { #expect(m.get(k)?.value == k) }
        #expect(m.get([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) == nil)
    }

    @Test func highestVersionWinsAndEqualVersionKeepsTheFirst() {
        var m = Memtable()
        let k = Array("k".utf8)
        var r = m.insert(k, Cell(version: T.v(5), value: [5]))
        #expect(r)
        r = m.insert(k, Cell(version: T.v(3), value: [3]))
        #expect(!r)
        #expect(m.get(k) == Cell(version: T.v(5), value: [5]))
        r = m.insert(k, Cell(version: T.v(5), value: [9]))
        #expect(!r)
        #expect(m.get(k)?.value == [5])
        r = m.insert(k, .tombstone(T.v(6)))
        #expect(r)
        #expect(m.get(k) == .tombstone(T.v(6)))
        r = m.insert(k, Cell(version: T.v(7), value: []))
        #expect(r)
        #expect(m.get(k) == Cell(version: T.v(7), value: []))
        #expect(m.tombstones == 0)
    }

    @Test func seekFindsFirstKeyAtOrAfter() throws {
        var m = Memtable()
        for i in stride(from: 0, to: 100, by: 10) { m.insert(T.key(i), Cell(version: T.v(1), value: [])) }
        var it = FrozenMemtable(m, logNumber: 0).makeIterator()
        try it.seek(T.key(15))
        #expect(it.key == T.key(20))
        try it.seek(T.key(90))
        #expect(it.key == T.key(90))
        try it.seek(T.key(91))
        #expect(!it.isValid)
        #expect(m.entries(from: T.key(25), to: T.key(50), limit: 10).map(\.key) == [T.key(30), T.key(40)])
    }

    @Test func sizeGrowsWithData() {
        var m = Memtable()
        let before = m.approximateBytes
        for i in 0..<100 { m.insert(T.key(i), Cell(version: T.v(1), value: T.value(i, size: 100))) }
        #expect(m.approximateBytes >= before + 100 * 116)
    }
}
