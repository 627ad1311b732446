import Testing
@testable import TesseraStorage

@Suite struct BlockCacheTests {
    func block(_ size: Int, fill: UInt8 = 0) -> Block {
        var b = BlockBuilder(restartInterval: 16)
        b.add(key: [fill], value: [UInt8](repeating: fill, count: size))
        let bytes = b.finish()
        return try! Block.parse(bytes, size: bytes.count).get()
    }

    @Test func hitsMissesAndCapacityInBytes() {
        let cache = BlockCache(capacityBytes: 16 * 64 * 1024)  // 64 KiB per shard
        let before = cache.lookup(fileNumber: 1, offset: 0) == nil
        #expect(before)
        cache.insert(fileNumber: 1, offset: 0, block: block(1000, fill: 7))
        let got = cache.lookup(fileNumber: 1, offset: 0)
        let same = got?.data == block(1000, fill: 7).data
        #expect(same)
        let others = cache.lookup(fileNumber: 2, offset: 0) == nil && cache.lookup(fileNumber: 1, offset: 1) == nil
        #expect(others)
        #expect(cache.hits == 1)
        #expect(cache.misses == 3)
        for i in 0..<2_000 { cache.insert(fileNumber: 3, offset: i * 4096, block: block(4000)) }
        #expect(cache.usageBytes <= cache.capacityBytes)
        #expect(cache.entryCount > 100 && cache.entryCount < 2_000)
    }

    @Test func evictsLeastRecentlyUsedFirst() {
        let b = block(3_000)
        let cache = BlockCache(capacityBytes: 16 * (b.charge * 7 / 2))  // three blocks fit in a shard, four do not
        // Four offsets that land in the same shard.
        let shard0 = BlockCache.shardIndex(BlockCacheKey(fileNumber: 1, offset: 0))
        let keys = Array((0..<10_000).filter { BlockCache.shardIndex(BlockCacheKey(fileNumber: 1, offset: $0)) == shard0 }.prefix(4))
        #expect(keys.count == 4)
        func has(_ offset: Int) -> Bool { cache.lookup(fileNumber: 1, offset: offset) != nil }
        for k in keys[0..<3] { cache.insert(fileNumber: 1, offset: k, block: b) }
        #expect(has(keys[0]))  // keys[0] is now the most recent; keys[1] the least
        cache.insert(fileNumber: 1, offset: keys[3], block: b)
        #expect(!has(keys[1]))
        #expect(has(keys[0]))
        #expect(has(keys[2]))
        #expect(has(keys[3]))
    }

    @Test func oversizedBlocksAreNotCachedAndEraseDropsAFile() {
        let cache = BlockCache(capacityBytes: 16 * 1024)
        cache.insert(fileNumber: 1, offset: 0, block: block(5_000))
        #expect(cache.entryCount == 0)
        let big = BlockCache(capacityBytes: 1 << 20)
        for i in 0..<50 {
            big.insert(fileNumber: 1, offset: i, block: block(100))
            big.insert(fileNumber: 2, offset: i, block: block(100))
        }
        big.erase(fileNumber: 1)
        #expect(big.entryCount == 50)
        let gone = big.lookup(fileNumber: 1, offset: 3) == nil
        let kept = big.lookup(fileNumber: 2, offset: 3) != nil
        #expect(gone && kept)
    }

    @Test func concurrentReadersAndWritersKeepItConsistent() async {
        let cache = BlockCache(capacityBytes: 256 * 1024)
        let blocks = (0..<8).map { block(500 + $0, fill: UInt8($0)) }
        await withTaskGroup(of: Int.self) { group in
            for t in 0..<4 {
                group.addTask {
                    var wrong = 0
                    for i in 0..<5_000 {
                        let offset = (i * 7 + t) % 400
                        if let b = cache.lookup(fileNumber: 1, offset: offset) {
                            if b.data != blocks[offset % 8].data { wrong += 1 }
                        } else {
                            cache.insert(fileNumber: 1, offset: offset, block: blocks[offset % 8])
                        }
                    }
                    return wrong
                }
            }
            var wrong = 0
            for await w in group { wrong += w }
            #expect(wrong == 0)
        }
        #expect(cache.usageBytes <= cache.capacityBytes)
        #expect(cache.hits + cache.misses == 20_000)
    }
}
