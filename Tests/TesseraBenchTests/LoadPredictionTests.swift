import TesseraClient
import TesseraCore
import TesseraRing
import Testing

@testable import TesseraBench

@Suite struct LoadPredictionTests {
    @Test func probabilitiesSumToOneAndKeepTheDistributionsHottestShare() {
        for distribution in KeyDistribution.allCases {
            let p = LoadPrediction.recordProbabilities(distribution, records: 20_000, exactRanks: 100_000)
            #expect(abs(p.reduce(0, +) - 1) < 1e-6, "\(distribution)")
        }
        let zipfian = LoadPrediction.recordProbabilities(.zipfian, records: 20_000, exactRanks: 100_000)
        let hottest = ScrambledZipfianGenerator(itemCount: 20_000).item(ofRank: 0)
        #expect(abs(zipfian[hottest] - 0.0378) < 0.001 && zipfian[hottest] == zipfian.max())
        let hotspot = LoadPrediction.recordProbabilities(.hotspot, records: 1000)
        #expect(abs(hotspot[0..<200].reduce(0, +) - 0.8) < 1e-9)
    }

    @Test func aSixNodeRingPredictsMoreImbalanceForZipfianThanUniform() {
        let members = (1...6).map { NodeID("n\($0)") }
        let ring = Ring(members: members)
        let topology = ClusterTopology(
            members: members.enumerated().map {
                .init(id: $0.element, address: HostAddress(host: "127.0.0.1", port: 7000 + $0.offset), tokens: ring.tokens(of: $0.element))
            },
            replicationFactor: 3)
        let records = 20_000
        let uniform = LoadPrediction.balance(
            topology: topology, probabilities: LoadPrediction.recordProbabilities(.uniform, records: records),
            key: YCSBBenchmark.key)
        let zipfian = LoadPrediction.balance(
            topology: topology, probabilities: LoadPrediction.recordProbabilities(.zipfian, records: records, exactRanks: 100_000),
            key: YCSBBenchmark.key)
        // Uniform: only token ownership is uneven (16 vnodes per node); zipfian adds the hot keys' replicas.
        #expect(uniform.maxOverMean > 1 && uniform.maxOverMean < 1.25, "\(uniform)")
        #expect(zipfian.maxOverMean > uniform.maxOverMean, "\(zipfian) vs \(uniform)")
        #expect(zipfian.maxOverMean < 1.6)
    }
}
