public import TesseraCore

/// Orders a read's replicas by how loaded and how slow each has recently been, so that the read coordinator's
/// first wave goes to the replicas likely to answer first.
///
/// As Cassandra's dynamic snitch, it scores each replica by recent latency; as C3 (Suresh et al., NSDI 2015)
/// and Scylla's load balancing, it also counts the requests the node has outstanding at that replica, so a
/// hot key's reads spread over its replicas instead of queueing on the first: score = latency EWMA ×
/// (1 + outstanding). Each answer's latency enters the EWMA (`alpha`); a failure counts as a
/// `failurePenaltyMicros` answer. A replica never measured gets the mean of the measured ones (or
/// `priorMicros`), so a new node is tried rather than starved.
///
/// The preference order is kept unless it is clearly worse: as the snitch's badness threshold, the ranking
/// only reorders when some replica scores more than `badnessThreshold` (10%) worse than the one the score
/// order would put in its place, which keeps reads of a key on the same replicas (and their caches) while
/// they are about equally good. Pure: no clocks; the shell reports sends and answers with their measured latency.
public struct ReplicaLoadRanking: Sendable {
    private struct Stats: Sendable {
        var outstanding = 0
        var latencyMicros: Double? = nil
    }

    public let alpha: Double
    public let badnessThreshold: Double
    public let failurePenaltyMicros: Double
    public let priorMicros: Double
    private var stats: [NodeID: Stats] = [:]

    public init(
        alpha: Double = 0.2, badnessThreshold: Double = 0.1, failurePenaltyMicros: Double = 1_000_000,
        priorMicros: Double = 1000
    ) {
        self.alpha = alpha
        self.badnessThreshold = badnessThreshold
        self.failurePenaltyMicros = failurePenaltyMicros
        self.priorMicros = priorMicros
    }

    /// A request was sent to `node`.
    public mutating func sent(to node: NodeID) { stats[node, default: Stats()].outstanding += 1 }

    /// `node` answered a request after `latencyMicros`.
    public mutating func answered(by node: NodeID, latencyMicros: UInt64) {
        complete(node, sample: Double(latencyMicros))
    }

    /// A request to `node` failed or timed out: it counts as a very slow answer.
    public mutating func failed(_ node: NodeID) { complete(node, sample: failurePenaltyMicros) }

    /// Requests outstanding at `node`.
    public func outstanding(at node: NodeID) -> Int { stats[node]?.outstanding ?? 0 }

    /// The replica's current score (lower is better).
    public func score(of node: NodeID) -> Double { score(of: node, unmeasured: defaultLatency) }

    private func score(of node: NodeID, unmeasured: Double) -> Double {
        guard let s = stats[node] else { return unmeasured }
        return (s.latencyMicros ?? unmeasured) * Double(1 + s.outstanding)
    }

    /// `replicas` (in preference order) best first. As Cassandra's dynamic snitch: the preference order stands
    /// unless, at some position, its replica scores more than `badnessThreshold` worse than the replica the
    /// score order puts there; then the replicas are sorted by score (stable: ties keep preference order).
    /// Runs on every coordinated read: scores live in a stack buffer and only a reordering allocates.
    public func rank(_ replicas: [NodeID]) -> [NodeID] {
        let n = replicas.count
        guard n > 1 else { return replicas }
        let unmeasured = defaultLatency
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * n) { buffer in
            for i in 0..<n { buffer[i] = score(of: replicas[i], unmeasured: unmeasured) }
            // buffer[n...] = the scores sorted (insertion sort: n is the replication factor).
            for i in 0..<n {
                let value = buffer[i]
                var j = n + i
                while j > n && buffer[j - 1] > value {
                    buffer[j] = buffer[j - 1]
                    j -= 1
                }
                buffer[j] = value
            }
            var clearlyWorse = false
            for i in 0..<n where buffer[i] > buffer[n + i] * (1 + badnessThreshold) {
                clearlyWorse = true
                break
            }
            guard clearlyWorse else { return replicas }
            return replicas.indices.sorted { buffer[$0] != buffer[$1] ? buffer[$0] < buffer[$1] : $0 < $1 }.map { replicas[$0] }
        }
    }

    private var defaultLatency: Double {
        var sum = 0.0
        var count = 0
        for s in stats.values {
            if let latency = s.latencyMicros {
                sum += latency
                count += 1
            }
        }
        return count == 0 ? priorMicros : sum / Double(count)
    }

    private mutating func complete(_ node: NodeID, sample: Double) {
        var s = stats[node, default: Stats()]
        s.outstanding = Swift.max(0, s.outstanding - 1)
        s.latencyMicros = s.latencyMicros.map { $0 + alpha * (sample - $0) } ?? sample
        stats[node] = s
    }
}
