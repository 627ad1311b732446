public import TesseraClient

/// What one node served during a run: the difference of its own STATUS counters before and after.
public struct NodeLoad: Sendable, Codable, Hashable {
    public var node: String
    /// Client requests it coordinated (gets, puts, deletes).
    public var coordinated: UInt64
    /// Replica requests it served (for any coordinator, itself included).
    public var replicaReads: UInt64
    public var replicaWrites: UInt64
    /// False if the node did not answer STATUS before or after the run (its figures are then zero).
    public var measured: Bool

    /// The replica requests: the load key placement decides, and the figure the balance is computed over.
    public var served: UInt64 { replicaReads &+ replicaWrites }

    /// The per-node deltas between two `TesseraClient.status()` snapshots, by node id.
    public static func deltas(before: [NodeStatus], after: [NodeStatus]) -> [NodeLoad] {
        let earlier = Dictionary(before.map { ($0.id.name, $0) }, uniquingKeysWith: { first, _ in first })
        return after.map { now in
            guard now.isUp, let then = earlier[now.id.name], then.isUp else {
                return NodeLoad(node: now.id.name, coordinated: 0, replicaReads: 0, replicaWrites: 0, measured: false)
            }
            func delta(_ a: UInt64, _ b: UInt64) -> UInt64 { a >= b ? a - b : 0 }
            return NodeLoad(
                node: now.id.name,
                coordinated: delta(now.gets &+ now.puts &+ now.deletes, then.gets &+ then.puts &+ then.deletes),
                replicaReads: delta(now.replicaReads, then.replicaReads),
                replicaWrites: delta(now.replicaWrites, then.replicaWrites),
                measured: true
            )
        }
    }
}

/// How evenly a run's replica requests spread over the nodes.
public struct LoadBalance: Sendable, Codable, Hashable {
    /// The busiest node's requests over the mean (1 is perfectly even).
    public var maxOverMean: Double
    /// Standard deviation over mean (population).
    public var coefficientOfVariation: Double
    public var busiestNode: String

    /// Over the measured nodes' `served`; zeros when nothing was measured.
    public init(_ loads: [NodeLoad]) {
        let measured = loads.filter(\.measured)
        let values = measured.map { Double($0.served) }
        let mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        guard mean > 0, let busiest = measured.max(by: { $0.served < $1.served }) else {
            self.init(maxOverMean: 0, coefficientOfVariation: 0, busiestNode: "")
            return
        }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        self.init(
            maxOverMean: Double(busiest.served) / mean, coefficientOfVariation: variance.squareRoot() / mean,
            busiestNode: busiest.node)
    }

    public init(maxOverMean: Double, coefficientOfVariation: Double, busiestNode: String) {
        self.maxOverMean = maxOverMean
        self.coefficientOfVariation = coefficientOfVariation
        self.busiestNode = busiestNode
    }
}
