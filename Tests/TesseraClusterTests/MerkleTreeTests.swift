import TesseraCluster
import TesseraCore
import TesseraRing
import Testing

@Suite struct MerkleTreeTests {
    static func keys(_ count: Int, prefix: String = "key") -> [[UInt8]] { (0..<count).map { Array("\(prefix)\($0)".utf8) } }

    @Test func tokenRangeSlicesCoverTheRangeExactlyAndAgreeWithSliceOf() {
        var rng = SplitMix64(seed: 7)
        let ranges = [
            TokenRange.full, TokenRange(start: -100, end: 100), TokenRange(start: .max - 10, end: .min + 10),
            TokenRange(start: 5, end: 9),
        ]
        for range in ranges {
            for parts in [1, 2, 7, 1024] {
                // Slices are contiguous and end where the range ends.
                var previousEnd = range.start
                for i in 0..<parts {
                    let slice = range.slice(i, of: parts)
                    #expect(slice.start == previousEnd)
                    previousEnd = slice.end
                }
                #expect(previousEnd == range.end)
                for _ in 0..<200 {
                    let token = range.width == 0 ? Token(bitPattern: rng.next()) : range.start &+ Token(bitPattern: 1 + rng.next() % range.width)
                    #expect(range.contains(token))
                    let i = range.slice(of: token, parts: parts)
                    #expect((0..<parts).contains(i))
                    let slice = range.slice(i, of: parts)
                    #expect(slice.width == 0 || slice.contains(token), "\(token) not in slice \(i) \(slice) of \(range)")
                }
            }
        }
        #expect(!TokenRange(start: 5, end: 9).contains(5))
        #expect(TokenRange(start: 5, end: 9).contains(9))
        #expect(TokenRange(start: .max - 1, end: .min + 1).contains(.max))
    }

    @Test func identicalReplicasHaveEqualTreesWhateverTheInsertionOrder() {
        let keys = Self.keys(2000)
        var a = MerkleTree(range: .full, depth: 8)
        var b = MerkleTree(range: .full, depth: 8)
        for (i, key) in keys.enumerated() { a.add(key: key, version: version(UInt64(i))) }
        for (i, key) in keys.enumerated().reversed() { b.add(key: key, version: version(UInt64(i))) }
        a.finish()
        b.finish()
        #expect(a == b)
        #expect(a.root != 0 && a.entryCount == 2000)
        #expect(a.differingLeaves(b).isEmpty)
    }

    @Test func differencesAreFoundExactly() {
        let keys = Self.keys(5000)
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20 {
            var a = MerkleTree(range: .full, depth: 10)
            var b = MerkleTree(range: .full, depth: 10)
            var expected: Set<Int> = []
            let changed = Set((0..<Int(rng.next() % 8)).map { _ in Int(rng.next() % 5000) })
            let missing = Set((0..<Int(rng.next() % 4)).map { _ in Int(rng.next() % 5000) })
            for (i, key) in keys.enumerated() {
                a.add(key: key, version: version(10))
                if missing.contains(i) {
                    expected.insert(TokenRange.full.slice(of: Murmur3.token(for: key), parts: 1024))
                    continue
                }
                b.add(key: key, version: version(changed.contains(i) ? 11 : 10))
                if changed.contains(i) { expected.insert(TokenRange.full.slice(of: Murmur3.token(for: key), parts: 1024)) }
            }
            a.finish()
            b.finish()
            #expect(a.differingLeaves(b) == expected.sorted())
            #expect(b.differingLeaves(a) == expected.sorted())
            // The merged ranges hold exactly the changed keys among all keys.
            let index = TokenRangeIndex(a.ranges(ofLeaves: a.differingLeaves(b)))
            for i in changed.union(missing) { #expect(index.contains(Murmur3.token(for: keys[i]))) }
        }
    }

    @Test func aTreeRebuiltFromItsLeavesEqualsTheOriginal() {
        var a = MerkleTree(range: TokenRange(start: -5, end: .max), depth: 6)
        for key in Self.keys(300) where TokenRange(start: -5, end: .max).contains(Murmur3.token(for: key)) {
            a.add(key: key, version: version(3))
        }
        a.finish()
        let b = MerkleTree(range: a.range, depth: a.depth, leaves: a.leaves, counts: a.counts)
        #expect(a == b)
    }

    @Test func aForestPutsEachKeyInTheTreeOfItsRange() {
        let ring = Ring(members: [n1, n2, n3, n4, n5], virtualNodes: 8)
        let ranges = TokenRange.ranges(of: ring)
        #expect(ranges.count == 40)
        var forest = MerkleForest(ranges: ranges, depth: 4)
        let keys = Self.keys(4000)
        for key in keys { forest.add(key: key, version: version(1)) }
        let trees = forest.finish()
        #expect(trees.reduce(0) { $0 + $1.entryCount } == 4000)  // the ranges cover the ring
        for (i, tree) in trees.enumerated() {
            let inRange = keys.filter { ranges[i].contains(Murmur3.token(for: $0)) }.count
            #expect(tree.entryCount == inRange)
        }
        // Half the ranges only: keys of the others are skipped.
        var half = MerkleForest(ranges: Array(ranges.prefix(20)), depth: 4)
        for key in keys { half.add(key: key, version: version(1)) }
        #expect(half.finish().map(\.entryCount) == trees.prefix(20).map(\.entryCount))
    }
}
