/// The numbers of one operation type in a run phase.
public struct YCSBOperationResult: Sendable, Codable, Hashable {
    public var operation: YCSBOperation
    /// Operations that succeeded (their latency is in `latency`).
    public var succeeded: Int
    /// Operations that failed, in total and by `TesseraError` code (`timeout`, `unavailable`, ...).
    public var errors: Int
    public var errorsByCode: [String: Int]
    /// Reads (and the read of a read-modify-write) that found no record.
    public var notFound: Int
    public var latency: LatencySummary
}

/// One run phase: a workload under one key distribution.
public struct YCSBRunResult: Sendable, Codable, Hashable {
    public var workload: String
    public var distribution: KeyDistribution
    public var seconds: Double
    /// Successful operations and their rate over the phase's wall time.
    public var succeeded: Int
    public var errors: Int
    public var opsPerSecond: Double
    /// All operation types together.
    public var latency: LatencySummary
    public var operations: [YCSBOperationResult]
    /// Per node, from the nodes' own counters; empty if STATUS could not be read.
    public var nodes: [NodeLoad]
    public var balance: LoadBalance
    /// What key placement alone predicts for this distribution (`LoadPrediction`), when the ring was known.
    public var predictedBalance: LoadBalance?
    /// The first few error messages, for diagnosis.
    public var errorSamples: [String]
}

/// The load phase: `records` inserts.
public struct YCSBLoadResult: Sendable, Codable, Hashable {
    public var records: Int
    public var succeeded: Int
    public var errors: Int
    public var seconds: Double
    public var opsPerSecond: Double
    public var latency: LatencySummary
    public var errorSamples: [String]
}

/// Everything `tessera bench ycsb` measured, as its `--json` output and the input of the SVG.
public struct YCSBReport: Sendable, Codable {
    public var configuration: YCSBBenchmark.Configuration
    public var hosts: [String]
    /// Cluster shape when known (the --local cluster's): nodes and replication factor.
    public var nodes: Int?
    public var replicationFactor: Int?
    /// Free text about the run's conditions (load average, build, server flags).
    public var notes: [String]
    public var load: YCSBLoadResult?
    public var runs: [YCSBRunResult]

    public init(
        configuration: YCSBBenchmark.Configuration, hosts: [String], nodes: Int? = nil,
        replicationFactor: Int? = nil, notes: [String] = [], load: YCSBLoadResult?, runs: [YCSBRunResult]
    ) {
        self.configuration = configuration
        self.hosts = hosts
        self.nodes = nodes
        self.replicationFactor = replicationFactor
        self.notes = notes
        self.load = load
        self.runs = runs
    }
}
