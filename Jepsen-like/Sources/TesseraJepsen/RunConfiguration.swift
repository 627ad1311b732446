/// Everything one run needs: the cluster, the workload, the faults, where the report goes.
public struct RunConfiguration: Sendable {
    /// The `tessera` executable the nodes run.
    public var tesseraExecutable: String
    /// Nodes (default 5); node i listens on 127.0.0.(10+i).
    public var nodes: Int = 5
    /// Replicas per key (N, default 3).
    public var replication: Int = 3
    public var mode: ConsistencyMode = .quorum
    public var nemeses: [NemesisKind] = []
    /// Client workload run time, before healing and the final reads.
    public var timeLimit: Duration = .seconds(20)
    /// Target operations per second over all workers.
    public var rate: Double = 200
    /// Client workers, each with at most one operation outstanding.
    public var concurrency: Int = 10
    /// Register keys (each checked on its own).
    public var keys: Int = 16
    /// Which workloads run (register, set or both).
    public var workloads: Set<WorkloadKind> = [.register, .set]
    public var seed: UInt64 = 1
    /// The report folder (created; must not hold an earlier run's history).
    public var outputDirectory: String
    /// Every node's port (the same on every address); nil picks one free on all of them.
    public var port: Int?
    /// The client's deadline per operation.
    public var operationTimeout: Duration = .milliseconds(1000)
    /// Seconds a fault lasts and the quiet time between faults (each drawn between the bounds).
    public var faultDuration: ClosedRange<Double> = 2...5
    public var quietDuration: ClosedRange<Double> = 1...3
    /// Clock offsets the skew nemesis picks from, in seconds either way.
    public var maxSkewSeconds: Int = 180
    /// Partition shapes the partition nemesis picks from (default: all).
    public var partitionShapes: [PartitionShape] = PartitionShape.allCases
    /// The command line, for the report.
    public var commandLine: [String] = []
    /// Print the progress line.
    public var showProgress = true

    public init(tesseraExecutable: String, outputDirectory: String) {
        self.tesseraExecutable = tesseraExecutable
        self.outputDirectory = outputDirectory
    }

    /// Node i's address (1-based).
    public static func host(ofNode i: Int) -> String { "127.0.0.\(10 + i)" }

    /// Checks the settings before anything starts.
    public func validate() throws(HarnessError) {
        guard (1...20).contains(nodes) else { throw .badInput("--nodes is \(nodes); use 1 to 20") }
        guard (1...nodes).contains(replication) else {
            throw .badInput("--replication is \(replication); use 1 to the node count (\(nodes))")
        }
        guard timeLimit > .zero && timeLimit <= .seconds(24 * 3600) else {
            throw .badInput("--time-limit must be more than 0 and at most a day")
        }
        guard rate > 0 && rate <= 100_000 else { throw .badInput("--rate is \(rate); use more than 0, at most 100000") }
        guard (1...1000).contains(concurrency) else { throw .badInput("--concurrency is \(concurrency); use 1 to 1000") }
        guard (1...100_000).contains(keys) else { throw .badInput("--keys is \(keys); use 1 to 100000") }
        guard !workloads.isEmpty else { throw .badInput("--workload names no workload") }
        if let port, !(1...65535).contains(port) { throw .badInput("--port \(port) is not in 1-65535") }
        guard !partitionShapes.isEmpty else { throw .badInput("no partition shape left") }
        guard (1...3600).contains(maxSkewSeconds) else { throw .badInput("--max-skew must be 1 to 3600 seconds") }
    }
}
