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

    /// Hashes that differ only in their top three bits share the 32-bit tag the table keeps (the shift by 29
    /// moves those bits beyond it): the index must tell them apart by the full hash, in lookups and removals.
    @Test func hashesWithTheSameTagAreToldApart() {
        let base: [UInt64] = [0x1234_5678, 0x0BAD_CAFE, 0x0000_0007]
        var hashes: [KeyHash] = []
        for value in base { for top in 0..<UInt64(8) { hashes.append(KeyHash(value: value | top << 61)) } }
        var index = KeyHashIndex(capacity: hashes.count)
        for (slot, hash) in hashes.enumerated() { index.insert(hash, slot: slot) }
        for (slot, hash) in hashes.enumerated() { #expect(index.find(hash, hashes: hashes) == slot) }
        #expect(index.find(KeyHash(value: 0x1234_5679), hashes: hashes) == nil)
        // Remove every other one; the rest must still be found, the removed ones not.
        for slot in stride(from: 0, to: hashes.count, by: 2) { index.remove(hashes[slot], hashes: hashes) }
        for (slot, hash) in hashes.enumerated() {
            #expect(index.find(hash, hashes: hashes) == (slot % 2 == 0 ? nil : slot), "slot \(slot)")
        }
    }
}
