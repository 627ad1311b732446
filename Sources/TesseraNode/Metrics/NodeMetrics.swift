import CoreMetrics
public import Prometheus
import Synchronization
public import TesseraCore
import TesseraStorage

/// One node's metrics, in its own Prometheus registry. The global `MetricsSystem` is never bootstrapped, so
/// several nodes in one process (tests) keep separate counters. docs/operations.md lists every metric.
///
/// Two kinds:
/// - request metrics, recorded by the node when a client request completes (`recordRequest`), written
///   against the swift-metrics API (`CoreMetrics.Counter`, `CoreMetrics.Timer`) with this node's
///   `PrometheusMetricsFactory` passed explicitly;
/// - counters and gauges the node and its storage engine already keep (`NodeSnapshot`), copied into the
///   registry at each scrape (`exposition(of:)`), so they cost nothing on the request path.
public final class NodeMetrics: Sendable {
    /// The kinds of client request, as the `op` label says them.
    public enum Operation: Int, CaseIterable, Sendable {
        case get, put, delete
        public var label: String {
            switch self {
            case .get: "get"
            case .put: "put"
            case .delete: "delete"
            }
        }
    }

    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let replicationFactor: Int
    /// Indexed by `slot(op, level)`.
    private let requests: [CoreMetrics.Counter]
    private let durations: [CoreMetrics.Timer]
    /// Indexed by `op * codes + code index`.
    private let errors: [CoreMetrics.Counter]
    /// Serializes scrapes: each copies absolute values into counters (reset, then increment) and emits.
    private let scrapeLock = Mutex<[UInt8]>([])

    static let codes = TesseraError.Code.allCases
    /// Latency buckets: 100 µs to 10 s.
    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
    ]

    /// The `level` label values: the named levels, then explicit counts 1...N, then `other`.
    private let levelLabels: [String]

    public init(replicationFactor: Int) {
        self.replicationFactor = replicationFactor
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["tessera_request_duration_seconds"] = Self.latencyBuckets
        self.registry = registry
        self.factory = factory
        let levels = ["ONE", "TWO", "THREE", "QUORUM", "ALL"] + (1...max(1, replicationFactor)).map(String.init)
            + ["LINEARIZABLE", "other"]
        self.levelLabels = levels
        var requests: [CoreMetrics.Counter] = []
        var durations: [CoreMetrics.Timer] = []
        var errors: [CoreMetrics.Counter] = []
        for op in Operation.allCases {
            for level in levels {
                let dimensions = [("op", op.label), ("level", level)]
                requests.append(CoreMetrics.Counter(label: "tessera_requests_total", dimensions: dimensions, factory: factory))
                durations.append(
                    CoreMetrics.Timer(label: "tessera_request_duration_seconds", dimensions: dimensions, factory: factory))
            }
            for code in Self.codes {
                errors.append(
                    CoreMetrics.Counter(
                        label: "tessera_request_errors_total",
                        dimensions: [("op", op.label), ("code", "\(code)")],
                        factory: factory
                    )
                )
            }
        }
        self.requests = requests
        self.durations = durations
        self.errors = errors
    }

    /// The series of `op` at `level` (pass it to `record(slot:error:nanoseconds:)` when the request ends).
    public func slot(_ op: Operation, _ level: ConsistencyLevel) -> Int {
        let index: Int
        switch level {
        case .one: index = 0
        case .two: index = 1
        case .three: index = 2
        case .quorum: index = 3
        case .all: index = 4
        case .count(let n): index = (1...replicationFactor).contains(n) ? 4 + n : levelLabels.count - 1
        case .linearizable: index = levelLabels.count - 2
        }
        return op.rawValue * levelLabels.count + index
    }

    /// Records one completed client request: its count and latency by operation and level, and its error code.
    public func recordRequest(_ op: Operation, level: ConsistencyLevel, error: TesseraError.Code?, nanoseconds: Int64) {
        record(slot: slot(op, level), error: error, nanoseconds: nanoseconds)
    }

    /// `recordRequest` for a slot computed when the request began.
    public func record(slot: Int, error: TesseraError.Code?, nanoseconds: Int64) {
        requests[slot].increment()
        durations[slot].recordNanoseconds(nanoseconds)
        if let error, let code = Self.codes.firstIndex(of: error) {
            errors[slot / levelLabels.count * Self.codes.count + code].increment()
        }
    }

    // MARK: scrape

    /// The Prometheus text exposition of every metric, with the snapshot's values copied in first.
    public func exposition(of snapshot: NodeSnapshot) -> [UInt8] {
        scrapeLock.withLock { buffer in
            copy(snapshot)
            buffer.removeAll(keepingCapacity: true)
            registry.emit(into: &buffer)
            return buffer
        }
    }

    private func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func counter(_ name: String, _ help: String, _ value: some BinaryInteger, labels: [(String, String)] = []) {
        let counter =
            labels.isEmpty
            ? registry.makeCounter(descriptor: descriptor(name, help))
            : registry.makeCounter(descriptor: descriptor(name, help), labels: labels)
        counter.reset()
        counter.increment(by: Int64(clamping: value))
    }

    private func gauge(_ name: String, _ help: String, _ value: Double, labels: [(String, String)] = []) {
        let gauge =
            labels.isEmpty
            ? registry.makeGauge(descriptor: descriptor(name, help))
            : registry.makeGauge(descriptor: descriptor(name, help), labels: labels)
        gauge.set(value)
    }

    private func copy(_ s: NodeSnapshot) {
        let coordinated = "Client requests this node coordinated (received), by operation; same as STATUS."
        counter("tessera_coordinated_requests_total", coordinated, s.gets, labels: [("op", "get")])
        counter("tessera_coordinated_requests_total", coordinated, s.puts, labels: [("op", "put")])
        counter("tessera_coordinated_requests_total", coordinated, s.deletes, labels: [("op", "delete")])
        counter("tessera_failed_requests_total", "Client requests answered with an error.", s.failedRequests)
        counter("tessera_timeouts_total", "Client requests that ran past their deadline.", s.timeouts)
        counter("tessera_unavailable_total", "Client requests refused: too few live replicas.", s.unavailable)
        counter(
            "tessera_replica_writes_total",
            "Replica writes sent by this coordinator (its own replica included) or served for other coordinators.",
            s.replicaWrites)
        counter(
            "tessera_replica_reads_total",
            "Replica reads sent by this coordinator (its own replica included) or served for other coordinators.",
            s.replicaReads)
        counter("tessera_read_repairs_total", "Stale replicas sent the newest cell by a read.", s.readRepairs)
        counter("tessera_protocol_errors_total", "Frames that could not be decoded.", s.protocolErrors)
        counter("tessera_connections_accepted_total", "TCP connections accepted (clients and peers).", s.connectionsAccepted)
        counter("tessera_storage_write_batches_total", "Storage write batches (one WAL append each).", s.storageWriteBatches)
        counter("tessera_storage_read_batches_total", "Storage read batches (reads that needed the disk).", s.storageReadBatches)
        counter(
            "tessera_storage_memory_reads_total", "Reads answered from memory on the event loop, without a storage batch.",
            s.storageMemoryReads)
        for (reason, count) in s.rejected.sorted(by: { $0.key < $1.key }) {
            counter(
                "tessera_requests_rejected_total", "Requests refused with overloaded by admission control, by reason.",
                count, labels: [("reason", reason)])
        }
        gauge(
            "tessera_replica_requests_in_flight", "Replica requests from other coordinators admitted and not answered.",
            Double(s.admittedReplicaInFlight))
        gauge("tessera_in_flight_requests", "Client requests accepted and not yet answered.", Double(s.inFlight))
        gauge("tessera_peers", "Peers by failure-detector state.", Double(s.peersUp), labels: [("state", "up")])
        gauge("tessera_peers", "Peers by failure-detector state.", Double(s.peersDown), labels: [("state", "down")])
        gauge("tessera_uptime_seconds", "Seconds since the node started.", Double(s.uptimeMillis) / 1000)
        gauge("tessera_draining", "1 while the node is shutting down and refuses new client requests.", s.draining ? 1 : 0)
        gauge("tessera_ready", "1 when /health/ready answers 200.", NodeHealth.readiness(s).ready ? 1 : 0)
        guard let st = s.storage else { return }
        gauge("tessera_storage_memtable_bytes", "Bytes in the mutable and immutable memtables.", Double(st.memtableBytes))
        gauge("tessera_storage_wal_bytes", "Bytes of the current write-ahead log segment(s).", Double(st.walBytes))
        gauge("tessera_storage_disk_bytes", "Bytes of live SSTables plus WAL.", Double(st.diskBytes))
        gauge("tessera_storage_keys_estimate", "Estimated live keys (overcounts overwrites not yet compacted).", Double(st.liveKeyEstimate))
        for (level, count) in st.tablesPerLevel.enumerated() {
            gauge("tessera_storage_tables", "SSTables per level.", Double(count), labels: [("level", "\(level)")])
        }
        for (level, bytes) in st.bytesPerLevel.enumerated() {
            gauge("tessera_storage_level_bytes", "Bytes of SSTables per level.", Double(bytes), labels: [("level", "\(level)")])
        }
        counter("tessera_storage_flushes_total", "Memtable flushes.", st.flushes)
        counter("tessera_storage_compactions_total", "Compactions run.", st.compactions)
        counter("tessera_storage_user_bytes_written_total", "Key and value bytes written by callers.", st.bytesWrittenByUser)
        counter(
            "tessera_storage_disk_bytes_written_total", "Bytes written to disk: WAL, flushes, compactions, manifest.",
            st.bytesWrittenToDisk)
        counter("tessera_storage_wal_syncs_total", "WAL fdatasyncs.", st.walSyncs)
        counter("tessera_storage_wal_writes_total", "Writes covered by WAL syncs (group commit).", st.walWrites)
        counter("tessera_storage_write_stalls_total", "Times a writer waited for flush or compaction.", st.writeStalls)
        counter("tessera_storage_block_cache_hits_total", "Block cache hits.", st.blockCacheHits)
        counter("tessera_storage_block_cache_misses_total", "Block cache misses (blocks read from disk).", st.blockCacheMisses)
        gauge(
            "tessera_storage_wal_records_replayed", "WAL records replayed when storage opened (0 after a clean stop).",
            Double(st.walRecordsReplayed))
        counter("tessera_storage_tombstones_purged_total", "Tombstones dropped by compaction.", st.tombstonesPurged)
    }
}
