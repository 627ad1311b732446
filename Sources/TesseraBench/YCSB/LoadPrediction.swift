public import TesseraClient
public import TesseraCore
import TesseraRing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The per-node balance that key placement alone predicts for a distribution: an offline model to set the
/// measured balance against.
///
/// Model: every request on a key costs each of its N replicas alike on average (writes go to all N; a read's
/// first wave rotates over them), so a node's share is the summed probability of the records it holds a copy
/// of. Zipfian probabilities are Zipf's law over YCSB's 10^10 ranks, exact for the first 10^6 ranks (hashed
/// onto records as the generator does) with the remaining mass spread evenly.
public enum LoadPrediction {
    /// Each record's probability under `distribution` over `records` records (they sum to 1); zipfian ranks
    /// beyond `exactRanks` are spread evenly.
    public static func recordProbabilities(
        _ distribution: KeyDistribution, records: Int, hotSetFraction: Double = 0.2, hotOperationFraction: Double = 0.8,
        exactRanks: Int = 1_000_000
    ) -> [Double] {
        precondition(records >= 1)
        switch distribution {
        case .uniform:
            return [Double](repeating: 1 / Double(records), count: records)
        case .hotspot:
            let generator = HotspotGenerator(
                itemCount: records, hotSetFraction: hotSetFraction, hotOperationFraction: hotOperationFraction)
            let cold = generator.coldCount == 0 ? 0 : (1 - hotOperationFraction) / Double(generator.coldCount)
            let hot = (generator.coldCount == 0 ? 1 : hotOperationFraction) / Double(generator.hotCount)
            return (0..<records).map { $0 < generator.hotCount ? hot : cold }
        case .zipfian:
            let scrambled = ScrambledZipfianGenerator(itemCount: records)
            var p = [Double](repeating: 0, count: records)
            var head = 0.0
            for rank in 0..<exactRanks {
                let share = scrambled.probability(ofRank: rank)
                p[scrambled.item(ofRank: rank)] += share
                head += share
            }
            let tail = Swift.max(0, 1 - head) / Double(records)
            return p.map { $0 + tail }
        case .latest:
            let zeta = ZipfianGenerator.zeta(from: 0, to: records, theta: ZipfianGenerator.defaultConstant)
            return (0..<records).map { 1 / (pow(Double(records - $0), ZipfianGenerator.defaultConstant) * zeta) }
        }
    }

    /// The balance the ring predicts: per node the summed probability of the records it replicates.
    public static func balance(topology: ClusterTopology, probabilities: [Double], key: (Int) -> [UInt8]) -> LoadBalance {
        let ring = topology.makeRing()
        var load: [NodeID: Double] = [:]
        for member in topology.members { load[member.id] = 0 }
        for (record, p) in probabilities.enumerated() {
            for node in ring.preferenceList(for: key(record), replicationFactor: topology.replicationFactor) {
                load[node, default: 0] += p
            }
        }
        // Scaled to counts so LoadBalance's arithmetic applies unchanged.
        let nodes = load.map { node, share in
            NodeLoad(node: node.name, coordinated: 0, replicaReads: UInt64(share * 1e9), replicaWrites: 0, measured: true)
        }
        return LoadBalance(nodes.sorted { $0.node < $1.node })
    }
}
