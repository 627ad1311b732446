import TesseraCore
import Testing

@testable import TesseraBench

#if canImport(Glibc)
    import Glibc
#endif

/// The key choosers against their analytic shapes. Tolerances are several standard deviations of the sampled
/// share (σ = sqrt(p(1-p)/draws)), so a seed change cannot flip them; a wrong formula moves the shares by far more.
@Suite struct KeyChooserTests {
    static let draws = 100_000

    /// Draws `draws` values and counts them per item.
    static func histogram(_ count: Int, _ draw: (inout SplitMix64) -> Int) -> [Int] {
        var random = SplitMix64(seed: 42)
        var counts = [Int](repeating: 0, count: count)
        for _ in 0..<draws { counts[draw(&random)] += 1 }
        return counts
    }

    /// P(rank < k) of Gray et al.'s generator (what `ZipfianGenerator` draws, exact for ranks 0 and 1).
    static func generatorCDF(_ k: Int, items: Int, zetaN: Double, theta: Double = 0.99) -> Double {
        let zeta2 = 1 + 1 / pow(2, theta)
        let eta = (1 - pow(2 / Double(items), 1 - theta)) / (1 - zeta2 / zetaN)
        let u = (pow(Double(k) / Double(items), 1 - theta) - 1 + eta) / eta
        return max(u, (1 + pow(0.5, theta)) / zetaN)
    }

    @Test func plainZipfianOverAMillionKeysSendsAbout6Point5PercentToTheHottest() {
        let items = 1_000_000
        let zipfian = ZipfianGenerator(itemCount: items)
        // ζ(10^6, 0.99) = 15.392: the hottest key gets 1/ζ = 6.50% ("about 7%").
        #expect(abs(zipfian.zetaN - 15.3918) < 0.001)
        let counts = Self.histogram(items) { zipfian.next(&$0) }
        let hottest = Double(counts[0]) / Double(Self.draws)
        #expect(abs(hottest - 1 / zipfian.zetaN) < 0.003, "hottest share \(hottest)")
        #expect(counts[0] == counts.max(), "rank 0 is the most drawn")
        // Top 1%: the draws landing on the 10,000 most popular keys (ranks 0..<10,000; counting the observed
        // top 10,000 instead would add sampling noise from the tail). The exact Zipf law gives
        // ζ(10^4)/ζ(10^6) = 66.4%; Gray's approximation, which the generator draws, its own CDF.
        let top = Double(counts[0..<(items / 100)].reduce(0, +)) / Double(Self.draws)
        let expected = Self.generatorCDF(items / 100, items: items, zetaN: zipfian.zetaN)
        #expect(abs(top - expected) < 0.006, "top 1% share \(top), expected \(expected)")
        let exactZipf = ZipfianGenerator.zeta(from: 0, to: items / 100, theta: 0.99) / zipfian.zetaN
        #expect(abs(top - exactZipf) < 0.04, "top 1% share \(top), Zipf's law \(exactZipf)")
    }

    @Test func scrambledZipfianSendsAbout3Point8PercentToItsHottestKeyAndScattersTheHotKeys() {
        let items = 1_000_000
        let scrambled = ScrambledZipfianGenerator(itemCount: items)
        let counts = Self.histogram(items) { scrambled.next(&$0) }
        // The hottest item is rank 0's hash: 1/ζ(10^10, 0.99) = 3.78% of the draws (plus a negligible tail share).
        let hottestItem = scrambled.item(ofRank: 0)
        let hottest = Double(counts[hottestItem]) / Double(Self.draws)
        #expect(abs(hottest - 0.03778) < 0.0025, "hottest share \(hottest)")
        #expect(counts[hottestItem] == counts.max())
        // Scrambled: the hottest items are not the lowest numbers (a plain zipfian's are 0, 1, 2, ...).
        let hotItems = (0..<10).map { scrambled.item(ofRank: $0) }
        #expect(Set(hotItems).count == 10)
        #expect(hotItems.filter { $0 < 1000 }.count <= 1, "\(hotItems)")
        // The items of the 10,000 hottest ranks (about 1% of the key space) get the ranks' mass plus their
        // share of the hashed tail.
        let hotSet = Set((0..<10_000).map { scrambled.item(ofRank: $0) })
        let inHotSet = Double(hotSet.reduce(0) { $0 + counts[$1] }) / Double(Self.draws)
        let head = Self.generatorCDF(10_000, items: ScrambledZipfianGenerator.rankSpace, zetaN: 26.46902820178302)
        let expected = head + (1 - head) * Double(hotSet.count) / Double(items)
        #expect(abs(inHotSet - expected) < 0.01, "hot-set share \(inHotSet), expected \(expected)")
        #expect(inHotSet > 0.38 && inHotSet < 0.44)
    }

    @Test func hotspotSendsTheHotFractionOfOperationsUniformlyToTheHotSet() {
        let items = 10_000
        let hotspot = HotspotGenerator(itemCount: items, hotSetFraction: 0.2, hotOperationFraction: 0.8)
        #expect(hotspot.hotCount == 2000)
        let counts = Self.histogram(items) { hotspot.next(&$0) }
        let hot = Double(counts[0..<2000].reduce(0, +)) / Double(Self.draws)
        #expect(abs(hot - 0.8) < 0.006, "hot share \(hot)")
        // Within each set draws are uniform: per-item mean 80/20 of the cold mean (400/item-share ratio 16).
        let hotMean = Double(counts[0..<2000].reduce(0, +)) / 2000
        let coldMean = Double(counts[2000...].reduce(0, +)) / 8000
        #expect(abs(hotMean / coldMean - 16) < 1, "hot/cold per-item ratio \(hotMean / coldMean)")
        // The hottest single key: 0.8/2000 = 0.04% plus noise; no key stands out by more than 5 σ of its count.
        let expectedHot = 0.8 / 2000 * Double(Self.draws)
        #expect(Double(counts[0..<2000].max()!) < expectedHot + 5 * expectedHot.squareRoot() + 5)
    }

    @Test func uniformHasNoHotKey() {
        let items = 1000
        var chooser = KeyChooser(.uniform, space: items, loaded: items, seed: 7)
        var counts = [Int](repeating: 0, count: items)
        for _ in 0..<Self.draws { counts[chooser.next(available: items)] += 1 }
        let mean = Double(Self.draws) / Double(items)
        // Binomial(100000, 0.001): σ ≈ 10 around 100; 1000 items stay within ±6 σ.
        #expect(Double(counts.max()!) < mean + 6 * mean.squareRoot())
        #expect(Double(counts.min()!) > mean - 6 * mean.squareRoot())
    }

    @Test func latestFavoursTheNewestRecordsAndFollowsInserts() {
        var chooser = KeyChooser(.latest, space: 1000, loaded: 1000, seed: 3)
        var newest = 0
        let draws = 50_000
        for _ in 0..<draws where chooser.next(available: 1000) == 999 { newest += 1 }
        // The newest record gets 1/ζ(1000, 0.99) = 13.3%.
        let expected = 1 / ZipfianGenerator.zeta(from: 0, to: 1000, theta: 0.99)
        #expect(abs(Double(newest) / Double(draws) - expected) < 0.01, "\(newest) of \(draws), expected \(expected)")
        // After 500 inserts the newest is record 1499; nothing beyond what exists is chosen.
        var beyond = 0
        newest = 0
        for _ in 0..<draws {
            let value = chooser.next(available: 1500)
            if value >= 1500 { beyond += 1 }
            if value == 1499 { newest += 1 }
        }
        #expect(beyond == 0)
        let expectedAfter = 1 / ZipfianGenerator.zeta(from: 0, to: 1500, theta: 0.99)
        #expect(abs(Double(newest) / Double(draws) - expectedAfter) < 0.01)
    }

    @Test func choosersNeverReturnRecordsThatAreNotInsertedYet() {
        for distribution in [KeyDistribution.uniform, .zipfian, .hotspot] {
            var chooser = KeyChooser(distribution, space: 2000, loaded: 1000, seed: 9)
            for _ in 0..<20_000 {
                let value = chooser.next(available: 1000)
                #expect(value >= 0 && value < 1000, "\(distribution): \(value)")
                if value >= 1000 { return }
            }
        }
    }

    @Test func zipfianGrowExtendsZetaAsARecomputationWould() {
        var grown = ZipfianGenerator(itemCount: 1000)
        grown.grow(to: 5000)
        let fresh = ZipfianGenerator(itemCount: 5000)
        #expect(abs(grown.zetaN - fresh.zetaN) < 1e-9)
        #expect(grown.itemCount == 5000)
    }

    @Test func fnvHashMatchesYCSB() {
        // YCSB's Utils.fnvhash64(0) and (1), computed by hand from FNV-1 64 over eight little-endian octets.
        var expected: UInt64 = 0xCBF2_9CE4_8422_2325
        for octet in [UInt64](repeating: 0, count: 8) { expected = (expected ^ octet) &* 1_099_511_628_211 }
        let signed = Int64(bitPattern: expected)
        #expect(FNVHash.hash64(0) == UInt64(signed < 0 ? -signed : signed))
        #expect(FNVHash.hash64(1) != FNVHash.hash64(0))
        #expect(FNVHash.hash64(12345) <= UInt64(Int64.max))
    }
}
