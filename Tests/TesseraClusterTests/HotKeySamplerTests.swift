import TesseraCore
import Testing

@testable import TesseraCluster

@Suite struct HotKeySamplerTests {
    static func key(_ i: Int) -> [UInt8] { Array("k\(i)".utf8) }

    @Test func lightTrafficIsCountedExactly() {
        // fullPerWindow requests in each window: every one recorded at weight 1 (time 0: no decay, exact).
        var sampler = HotKeySampler()
        for window in 0..<50 {
            for _ in 0..<HotKeySampler.fullPerWindow {
                #expect(sampler.weight(nowMillis: UInt64(window) * HotKeySampler.windowMillis) == 1)
            }
        }
        var tracker = HotKeyTracker(capacity: 8, halfLifeMillis: 1_000_000_000)
        let each = HotKeySampler.fullPerWindow / 3
        for i in 0..<(3 * each) { tracker.recordWrite(Self.key(i % 3), nowMillis: 0) }
        let writes = tracker.top(3, nowMillis: 0).writes
        #expect(writes.keys.map(\.count) == Array(repeating: Double(each), count: 3))
        #expect(writes.total == Double(3 * each) && writes.recorded == UInt64(3 * each))
    }

    @Test func busyTrafficIsSampledOneInEightAndStaysUnbiased() {
        // 200,000 requests within 1 ms: k0 gets 30%, k1 10%, the rest spread over 5,000 keys.
        var tracker = HotKeyTracker(capacity: 64, halfLifeMillis: 1_000_000_000)
        var random = SplitMix64(seed: 5)
        let n = 200_000
        var truth = [0, 0]
        for _ in 0..<n {
            let u = random.below(100)
            let k = u < 30 ? 0 : u < 40 ? 1 : 2 + random.below(5_000)
            if k < 2 { truth[k] += 1 }
            tracker.recordRead(Self.key(k), nowMillis: 3)
        }
        let reads = tracker.top(2, nowMillis: 3).reads
        #expect(reads.recorded == UInt64(n), "every request is seen")
        // About 1 in 8 went into the sketch.
        let sampled = Double(tracker.reads.recorded)
        let expected = Double(HotKeySampler.fullPerWindow) + Double(n - HotKeySampler.fullPerWindow) / 8
        #expect(abs(sampled - expected) < 0.03 * expected, "sketch saw \(sampled), expected about \(expected)")
        #expect(abs(reads.total - Double(n)) < 0.02 * Double(n), "total estimate \(reads.total) for \(n)")
        #expect(reads.keys.map(\.key) == [Self.key(0), Self.key(1)])
        for (i, entry) in reads.keys.enumerated() {
            let share = (entry.count - entry.error) / reads.total
            let trueShare = Double(truth[i]) / Double(n)
            #expect(abs(share - trueShare) < 0.01, "k\(i): estimated \(share), true \(trueShare)")
        }
    }

    @Test func aClientCyclingThroughFewKeysSeesEachOfThemSampled() {
        // Every 8th request is the same key here: a sampler that took every 8th request would see only k0.
        var tracker = HotKeyTracker(capacity: 16, halfLifeMillis: 1_000_000_000)
        for i in 0..<80_000 { tracker.recordWrite(Self.key(i % 8), nowMillis: 1) }
        let writes = tracker.top(8, nowMillis: 1).writes
        #expect(writes.keys.count == 8)
        for entry in writes.keys {
            #expect(abs(entry.count / writes.total - 0.125) < 0.01, "\(entry.key): \(entry.count / writes.total)")
        }
    }

    @Test func aNewWindowRecordsInFullAgain() {
        var sampler = HotKeySampler()
        var skipped = 0
        for _ in 0..<1_000 where sampler.weight(nowMillis: 100) == nil { skipped += 1 }
        #expect(skipped > 700, "beyond the first \(HotKeySampler.fullPerWindow), most requests are left out")
        let next = 100 + HotKeySampler.windowMillis
        #expect(sampler.weight(nowMillis: next - 1) != 1, "still the first window, whose full budget is spent")
        #expect((0..<HotKeySampler.fullPerWindow).allSatisfy { _ in sampler.weight(nowMillis: next) == 1 })
        // Time that goes backwards starts a new window too (a wrapped difference is large).
        #expect(sampler.weight(nowMillis: 50) == 1)
    }
}
