#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import TesseraCore
import Testing

@testable import TesseraCluster

@Suite struct SpaceSavingSketchTests {
    static func key(_ i: Int) -> [UInt8] { Array("k\(i)".utf8) }

    @Test func findsTheHeavyKeysOfASkewedStreamWithinTheirErrorBounds() {
        // 100,000 requests: k0 gets 20%, k1 10%, k2 5%; the rest spread over 10,000 other keys (65%, 0.0065% each).
        var sketch = SpaceSavingSketch(capacity: 32, halfLifeMillis: 1_000_000_000)
        var random = SplitMix64(seed: 11)
        var truth: [Int: Int] = [:]
        for _ in 0..<100_000 {
            let u = random.below(100)
            let k = u < 20 ? 0 : u < 30 ? 1 : u < 35 ? 2 : 3 + random.below(10_000)
            truth[k, default: 0] += 1
            sketch.record(Self.key(k), nowMillis: 0)
        }
        let top = sketch.top(3, nowMillis: 0)
        #expect(top.map(\.key) == [Self.key(0), Self.key(1), Self.key(2)])
        for (i, entry) in top.enumerated() {
            let real = Double(truth[i]!)
            // Space-saving: count - error <= true count <= count, and error <= total / capacity.
            #expect(entry.count >= real && entry.count - entry.error <= real, "\(i): \(entry) vs \(real)")
            #expect(entry.error <= 100_000 / 32)
        }
        #expect(abs(sketch.total(nowMillis: 0) - 100_000) < 1e-6)
        #expect(sketch.top(100, nowMillis: 0).count == 32, "memory is bounded by the capacity")
    }

    @Test func decayLetsANewHotKeyOvertakeAnOldOne() {
        var sketch = SpaceSavingSketch(capacity: 8, halfLifeMillis: 1000)
        for _ in 0..<1000 { sketch.record(Self.key(1), nowMillis: 0) }
        // Ten half-lives later k1's 1000 requests weigh about 1; 100 fresh requests of k2 weigh 100.
        for _ in 0..<100 { sketch.record(Self.key(2), nowMillis: 10_000) }
        let top = sketch.top(2, nowMillis: 10_000)
        #expect(top.first?.key == Self.key(2))
        #expect(abs(top[0].count - 100) < 1e-6)
        #expect(abs(top[1].count - 1000.0 / 1024) < 1e-6)
        #expect(abs(sketch.total(nowMillis: 10_000) - (100 + 1000.0 / 1024)) < 1e-6)
        // Shares are unchanged by reading later: everything decays alike.
        let later = sketch.top(2, nowMillis: 11_000)
        #expect(abs(later[0].count / sketch.total(nowMillis: 11_000) - top[0].count / sketch.total(nowMillis: 10_000)) < 1e-9)
    }

    @Test func rescalesBeforeTheWeightsOverflow() {
        var sketch = SpaceSavingSketch(capacity: 4, halfLifeMillis: 1)
        sketch.record(Self.key(1), nowMillis: 0)
        // 2^2000 would overflow a Double: the landmark moves and the counters stay finite and ordered.
        for t in stride(from: UInt64(100), through: 2000, by: 100) { sketch.record(Self.key(2), nowMillis: t) }
        let top = sketch.top(2, nowMillis: 2000)
        #expect(top.allSatisfy { $0.count.isFinite })
        #expect(top.first?.key == Self.key(2))
        #expect(abs(top[0].count - 1) < 1e-6, "only the newest request of k2 still weighs: \(top[0].count)")
    }

    @Test func trackerKeepsReadsAndWritesApart() {
        var tracker = HotKeyTracker(capacity: 4)
        for _ in 0..<10 { tracker.recordRead(Self.key(1), nowMillis: 5) }
        for _ in 0..<3 { tracker.recordWrite(Self.key(2), nowMillis: 5) }
        let (reads, writes) = tracker.top(5, nowMillis: 5)
        #expect(reads.keys.map(\.key) == [Self.key(1)])
        #expect(writes.keys.map(\.key) == [Self.key(2)])
        #expect(reads.recorded == 10 && writes.recorded == 3)
    }

    /// The textbook algorithm, as the oracle: a scan for the smallest counter (the first one on a tie).
    struct ScanModel {
        let capacity: Int
        var keys: [[UInt8]] = []
        var counts: [Double] = []
        var errors: [Double] = []

        mutating func record(_ key: [UInt8], weight: Double) {
            if let i = keys.firstIndex(of: key) {
                counts[i] += weight
            } else if keys.count < capacity {
                keys.append(key)
                counts.append(weight)
                errors.append(0)
            } else {
                var smallest = 0
                for i in 1..<counts.count where counts[i] < counts[smallest] { smallest = i }
                keys[smallest] = key
                errors[smallest] = counts[smallest]
                counts[smallest] += weight
            }
        }
    }

    /// The heap that picks the counter to replace evicts exactly what a scan would: same keys, counts and
    /// errors after 20,000 requests, with equal counts (every weight 1, many ties) and with decayed weights.
    @Test(arguments: [false, true]) func evictsExactlyAsAScanOfEveryCounterWould(decay: Bool) {
        var sketch = SpaceSavingSketch(capacity: 16, halfLifeMillis: 1000)
        var model = ScanModel(capacity: 16)
        var random = SplitMix64(seed: decay ? 7 : 8)
        for i in 0..<20_000 {
            // A skewed stream: a few hot keys among many cold ones.
            let k = random.next() % 4 == 0 ? Int(random.next() % 5) : Int(random.next() % 300)
            let now = decay ? UInt64(i / 10) : 0
            sketch.record(Self.key(k), nowMillis: now)
            model.record(Self.key(k), weight: exp2(Double(now) / 1000))
        }
        let now: UInt64 = decay ? 1999 : 0
        let scale = 1 / exp2(Double(now) / 1000)
        let expected = model.keys.indices
            .map { SpaceSavingSketch.Entry(key: model.keys[$0], count: model.counts[$0] * scale, error: model.errors[$0] * scale) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.key.lexicographicallyPrecedes($1.key) }
        #expect(sketch.top(16, nowMillis: now) == expected)
    }
}
