import TesseraCore
import Testing

@testable import TesseraCluster

@Suite struct KeyHashIndexTests {
    /// Random inserts and removals against a dictionary, with hashes forced into few home buckets so that probe
    /// runs wrap around the table's end and backward-shift deletion has entries to move.
    @Test(arguments: [1 as UInt64, 2, 3, 4, 5])
    func agreesWithADictionaryUnderRandomInsertsAndRemovals(seed: UInt64) {
        let capacity = 16
        var index = KeyHashIndex(capacity: capacity)
        var random = SplitMix64(seed: seed)
        var hashes: [KeyHash] = []
        var model: [KeyHash: Int] = [:]
        // Hashes that differ only above the bits the table uses collide on a handful of home buckets.
        func clustered() -> KeyHash { KeyHash(value: (random.next() << 40) | (random.next() % 4) &* 0x3F) }
        for _ in 0..<5_000 {
            if hashes.count < capacity {
                let hash = clustered()
                guard model[hash] == nil else { continue }
                hashes.append(hash)
                index.insert(hash, slot: hashes.count - 1)
                model[hash] = hashes.count - 1
            } else {
                // Replace a random slot, as the sketch replaces its smallest counter.
                let slot = Int(random.next() % UInt64(capacity))
                let hash = clustered()
                guard model[hash] == nil else { continue }
                index.remove(hashes[slot], hashes: hashes)
                model[hashes[slot]] = nil
                hashes[slot] = hash
                index.insert(hash, slot: slot)
                model[hash] = slot
            }
            for (hash, slot) in model { #expect(index.find(hash, hashes: hashes) == slot) }
            let absent = clustered()
            if model[absent] == nil { #expect(index.find(absent, hashes: hashes) == nil) }
        }
    }

    @Test func removingAnUnknownHashChangesNothing() {
        var index = KeyHashIndex(capacity: 4)
        let hashes = [KeyHash(value: 1), KeyHash(value: 2)]
        index.insert(hashes[0], slot: 0)
        index.insert(hashes[1], slot: 1)
        index.remove(KeyHash(value: 99), hashes: hashes)
        #expect(index.find(hashes[0], hashes: hashes) == 0)
        #expect(index.find(hashes[1], hashes: hashes) == 1)
    }
}
