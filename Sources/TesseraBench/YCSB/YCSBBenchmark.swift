import Histogram
import Synchronization
public import TesseraClient
public import TesseraCore

/// `tessera bench ycsb`: YCSB's core workloads over the client library against a running cluster.
///
/// A load phase inserts `recordCount` records (`user<fnv(i)>`, as YCSB's hashed insert order names them);
/// each run phase then issues the workload's operation mix, choosing records with one key distribution.
/// `concurrency` tasks each keep one operation in flight (pipelined over the client's connections); every
/// task has its own seeded chooser, so a seed reproduces the key sequence. Latency per operation type goes
/// into HdrHistograms; the nodes' own STATUS counters before and after a run phase give the per-node load.
public struct YCSBBenchmark: Sendable {
    /// What to run.
    public struct Configuration: Sendable, Codable {
        /// `A` ... `F` (E is refused: see `YCSBWorkload`).
        public var workload: String
        /// Records the load phase inserts and the run phase starts from.
        public var recordCount: Int
        /// Operations per run phase; nil runs for `durationSeconds` only.
        public var operationCount: Int?
        /// Upper bound on a run phase's wall time; nil runs `operationCount` operations.
        public var durationSeconds: Double?
        /// Operations in flight.
        public var concurrency: Int
        /// Levels of reads and of writes, as text (`QUORUM`, `ONE`, `2`...).
        public var readConsistency: String
        public var writeConsistency: String
        /// Bytes per record (YCSB's default record is 10 fields of 100 bytes).
        public var valueSize: Int
        /// Per-call deadline.
        public var timeoutMillis: Int
        /// Seed of every worker's chooser (worker w uses `seed + w`).
        public var seed: UInt64
        /// The hotspot distribution's hot set and the share of operations that go to it.
        public var hotSetFraction: Double
        public var hotOperationFraction: Double

        public init(
            workload: String = "A",
            recordCount: Int = 100_000,
            operationCount: Int? = 100_000,
            durationSeconds: Double? = nil,
            concurrency: Int = 64,
            readConsistency: String = "QUORUM",
            writeConsistency: String = "QUORUM",
            valueSize: Int = 1000,
            timeoutMillis: Int = 5000,
            seed: UInt64 = 1,
            hotSetFraction: Double = 0.2,
            hotOperationFraction: Double = 0.8
        ) {
            self.workload = workload
            self.recordCount = recordCount
            self.operationCount = operationCount
            self.durationSeconds = durationSeconds
            self.concurrency = concurrency
            self.readConsistency = readConsistency
            self.writeConsistency = writeConsistency
            self.valueSize = valueSize
            self.timeoutMillis = timeoutMillis
            self.seed = seed
            self.hotSetFraction = hotSetFraction
            self.hotOperationFraction = hotOperationFraction
        }

        /// Throws `invalidRequest` naming the bad setting and what is accepted.
        public func validate() throws(TesseraError) {
            _ = try YCSBWorkload(parsing: workload)
            guard recordCount >= 1 else {
                throw TesseraError(.invalidRequest, "--records is \(recordCount); use 1 or more")
            }
            if let operationCount, operationCount < 1 {
                throw TesseraError(.invalidRequest, "--operations is \(operationCount); use 1 or more")
            }
            if let durationSeconds, !(durationSeconds > 0) {
                throw TesseraError(.invalidRequest, "--duration is \(durationSeconds) s; use more than 0")
            }
            guard operationCount != nil || durationSeconds != nil else {
                throw TesseraError(.invalidRequest, "give --operations or --duration (or both)")
            }
            guard (1...10_000).contains(concurrency) else {
                throw TesseraError(.invalidRequest, "--concurrency is \(concurrency); use 1 to 10000")
            }
            guard valueSize >= 1 else { throw TesseraError(.invalidRequest, "--value-size is \(valueSize); use 1 or more") }
            try Limits.checkValue(valueSize)
            guard timeoutMillis >= 1 else {
                throw TesseraError(.invalidRequest, "--timeout is \(timeoutMillis) ms; use 1 or more")
            }
            _ = try ConsistencyLevel(parsing: readConsistency)
            _ = try ConsistencyLevel(parsing: writeConsistency)
            guard (0...1).contains(hotSetFraction), hotSetFraction > 0 else {
                throw TesseraError(.invalidRequest, "--hot-set is \(hotSetFraction); use more than 0, at most 1")
            }
            guard (0...1).contains(hotOperationFraction) else {
                throw TesseraError(.invalidRequest, "--hot-ops is \(hotOperationFraction); use 0 to 1")
            }
        }
    }

    public let configuration: Configuration
    public let workload: YCSBWorkload
    private let readLevel: ConsistencyLevel
    private let writeLevel: ConsistencyLevel

    public init(configuration: Configuration) throws(TesseraError) {
        try configuration.validate()
        self.configuration = configuration
        self.workload = try YCSBWorkload(parsing: configuration.workload)
        self.readLevel = try ConsistencyLevel(parsing: configuration.readConsistency)
        self.writeLevel = try ConsistencyLevel(parsing: configuration.writeConsistency)
    }

    /// The key of record `number`: `user` and YCSB's FNV hash of the number.
    public static func key(_ number: Int) -> [UInt8] { Array("user\(FNVHash.hash64(UInt64(number)))".utf8) }

    /// The value written by an operation (`salt` varies it between writes).
    func value(salt: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: configuration.valueSize)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: (i &* 31) &+ salt) }
        return bytes
    }

    // MARK: Load phase

    /// Inserts records `0..<recordCount`, `concurrency` at a time; `progress` gets a line about once a second.
    public func load(client: TesseraClient, progress: @escaping @Sendable (String) -> Void = { _ in })
        async -> YCSBLoadResult
    {
        let records = configuration.recordCount
        let next = Counter()
        let done = Counter()
        let timeout = Duration.milliseconds(configuration.timeoutMillis)
        let value = self.value(salt: 0)
        let start = ContinuousClock.now
        let monitor = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let finished = done.value
                let seconds = Self.seconds(ContinuousClock.now - start)
                progress(
                    "load: \(finished)/\(records) records (\(finished * 100 / Swift.max(records, 1))%), "
                        + "\(Int(Double(finished) / Swift.max(seconds, 0.001))) records/s")
            }
        }
        let results = await forEachWorker(client: client) { _ in
            var result = WorkerResult()
            while true {
                let number = next.take()
                guard number < records else { break }
                let began = ContinuousClock.now
                do throws(TesseraError) {
                    try await client.put(Self.key(number), value, consistency: writeLevel, timeout: timeout)
                    result.record(.insert, micros: Self.micros(ContinuousClock.now - began))
                } catch {
                    result.fail(.insert, error)
                }
                done.increment()
            }
            return result
        }
        monitor.cancel()
        let seconds = Self.seconds(ContinuousClock.now - start)
        let merged = WorkerResult.merge(results)
        let insert = merged.histograms[YCSBOperation.insert.index]
        return YCSBLoadResult(
            records: records,
            succeeded: Int(insert.totalCount),
            errors: merged.errorCount,
            seconds: seconds,
            opsPerSecond: seconds > 0 ? Double(insert.totalCount) / seconds : 0,
            latency: LatencySummary(insert),
            errorSamples: merged.errorSamples
        )
    }

    // MARK: Run phase

    /// Runs the workload's mix with `distribution` (nil: the workload's own) and measures it, with the nodes'
    /// counters read before and after. `insertStart` is the first record number new inserts take (the records
    /// present: `recordCount` after one load; more after earlier runs that inserted). `progress` gets a live
    /// line about once a second.
    public func run(
        client: TesseraClient,
        distribution: KeyDistribution? = nil,
        insertStart: Int? = nil,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async -> YCSBRunResult {
        let distribution = distribution ?? workload.defaultDistribution
        let present = insertStart ?? configuration.recordCount
        let operations = configuration.operationCount ?? Int.max
        let space = present + workload.expectedInserts(operations: configuration.operationCount ?? present)
        let deadline = configuration.durationSeconds.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        let inserts = InsertSequence(start: present)
        let next = Counter()
        let done = Counter()
        let live = LiveLatency()
        let timeout = Duration.milliseconds(configuration.timeoutMillis)
        let before = (try? await client.status(timeout: .seconds(5))) ?? []
        let start = ContinuousClock.now
        let monitor = Task {
            var last = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let finished = done.value
                let seconds = Self.seconds(ContinuousClock.now - start)
                progress(
                    "run \(workload.name)/\(distribution.rawValue): \(Int(seconds)) s, \(finished) ops, "
                        + "\(Int(Double(finished) / Swift.max(seconds, 0.001))) ops/s (last second \(finished - last)), "
                        + "p99 so far \(Self.milliseconds(live.p99Micros)) ms")
                last = finished
            }
        }
        let results = await forEachWorker(client: client) { worker in
            var chooser = KeyChooser(
                distribution, space: space, loaded: present,
                seed: configuration.seed &+ UInt64(worker) &* 0x9E37_79B9,
                hotSetFraction: configuration.hotSetFraction,
                hotOperationFraction: configuration.hotOperationFraction)
            var result = WorkerResult()
            var pending: [UInt64] = []
            pending.reserveCapacity(32)
            while next.take() < operations {
                if let deadline, ContinuousClock.now >= deadline { break }
                let operation = workload.operation(for: chooser.unitInterval())
                let began = ContinuousClock.now
                do throws(TesseraError) {
                    switch operation {
                    case .read:
                        let key = Self.key(chooser.next(available: inserts.available))
                        if try await client.get(key, consistency: readLevel, timeout: timeout) == nil {
                            result.notFound[operation.index] += 1
                        }
                    case .update:
                        let key = Self.key(chooser.next(available: inserts.available))
                        try await client.put(key, value(salt: worker), consistency: writeLevel, timeout: timeout)
                    case .insert:
                        let number = inserts.take()
                        defer { inserts.complete(number) }
                        try await client.put(Self.key(number), value(salt: worker), consistency: writeLevel, timeout: timeout)
                    case .readModifyWrite:
                        let key = Self.key(chooser.next(available: inserts.available))
                        let old = try await client.get(key, consistency: readLevel, timeout: timeout)
                        if old == nil { result.notFound[operation.index] += 1 }
                        var changed = old?.value ?? value(salt: worker)
                        if !changed.isEmpty { changed[0] &+= 1 }
                        try await client.put(key, changed, consistency: writeLevel, timeout: timeout)
                    case .scan:
                        preconditionFailure("workload E is refused by YCSBWorkload(parsing:)")
                    }
                    let micros = Self.micros(ContinuousClock.now - began)
                    result.record(operation, micros: micros)
                    pending.append(micros)
                    if pending.count == 32 {
                        live.record(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                } catch {
                    result.fail(operation, error)
                }
                done.increment()
            }
            live.record(pending)
            return result
        }
        monitor.cancel()
        let seconds = Self.seconds(ContinuousClock.now - start)
        let after = (try? await client.status(timeout: .seconds(5))) ?? []
        let nodes = NodeLoad.deltas(before: before, after: after)
        let merged = WorkerResult.merge(results)
        var all = LatencySummary.makeHistogram()
        var perOperation: [YCSBOperationResult] = []
        for operation in YCSBOperation.allCases {
            let histogram = merged.histograms[operation.index]
            let errors = merged.errorsByCode[operation.index]
            guard histogram.totalCount > 0 || !errors.isEmpty else { continue }
            all.add(histogram)
            perOperation.append(
                YCSBOperationResult(
                    operation: operation, succeeded: Int(histogram.totalCount), errors: errors.values.reduce(0, +),
                    errorsByCode: errors, notFound: merged.notFound[operation.index], latency: LatencySummary(histogram)))
        }
        let succeeded = Int(all.totalCount)
        return YCSBRunResult(
            workload: workload.name,
            distribution: distribution,
            seconds: seconds,
            succeeded: succeeded,
            errors: merged.errorCount,
            opsPerSecond: seconds > 0 ? Double(succeeded) / seconds : 0,
            latency: LatencySummary(all),
            operations: perOperation,
            nodes: nodes,
            balance: LoadBalance(nodes),
            predictedBalance: await predictedBalance(client: client, distribution: distribution, records: present),
            errorSamples: merged.errorSamples
        )
    }

    /// `LoadPrediction` for this run's records and distribution, over the client's view of the ring.
    private func predictedBalance(client: TesseraClient, distribution: KeyDistribution, records: Int) async
        -> LoadBalance?
    {
        guard let topology = try? await client.topology(timeout: .seconds(5)) else { return nil }
        let p = LoadPrediction.recordProbabilities(
            distribution, records: records, hotSetFraction: configuration.hotSetFraction,
            hotOperationFraction: configuration.hotOperationFraction)
        return LoadPrediction.balance(topology: topology, probabilities: p, key: Self.key)
    }

    // MARK: Workers

    /// Runs `concurrency` workers, spread over the client's event-loop executors, and collects their results.
    private func forEachWorker(
        client: TesseraClient, _ body: @escaping @Sendable (Int) async -> WorkerResult
    ) async -> [WorkerResult] {
        await withTaskGroup(of: WorkerResult.self) { group in
            let executors = client.taskExecutors
            for worker in 0..<configuration.concurrency {
                let executor: (any TaskExecutor)? = executors.isEmpty ? nil : executors[worker % executors.count]
                group.addTask(executorPreference: executor) { await body(worker) }
            }
            var all: [WorkerResult] = []
            for await result in group { all.append(result) }
            return all
        }
    }

    static func micros(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(Swift.max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func milliseconds(_ micros: UInt64) -> String {
        let tenths = (micros + 50) / 100
        return "\(tenths / 10).\(tenths % 10)"
    }
}

extension YCSBOperation {
    /// Position in `allCases`, for per-operation arrays.
    var index: Int {
        switch self {
        case .read: return 0
        case .update: return 1
        case .insert: return 2
        case .scan: return 3
        case .readModifyWrite: return 4
        }
    }
}

/// What one worker task collected: a histogram, errors by code and not-found reads per operation type.
struct WorkerResult: Sendable {
    var histograms = YCSBOperation.allCases.map { _ in LatencySummary.makeHistogram() }
    var errorsByCode = YCSBOperation.allCases.map { _ in [String: Int]() }
    var notFound = YCSBOperation.allCases.map { _ in 0 }
    var errorSamples: [String] = []

    mutating func record(_ operation: YCSBOperation, micros: UInt64) {
        _ = histograms[operation.index].record(micros)
    }

    mutating func fail(_ operation: YCSBOperation, _ error: TesseraError) {
        errorsByCode[operation.index]["\(error.code)", default: 0] += 1
        if errorSamples.count < 3 { errorSamples.append("\(operation.rawValue): \(error.description)") }
    }

    var errorCount: Int { errorsByCode.map { $0.values.reduce(0, +) }.reduce(0, +) }

    static func merge(_ results: [WorkerResult]) -> WorkerResult {
        var merged = WorkerResult()
        for result in results {
            for i in merged.histograms.indices {
                merged.histograms[i].add(result.histograms[i])
                merged.notFound[i] += result.notFound[i]
                for (code, count) in result.errorsByCode[i] { merged.errorsByCode[i][code, default: 0] += count }
            }
            for sample in result.errorSamples where merged.errorSamples.count < 5 { merged.errorSamples.append(sample) }
        }
        return merged
    }
}

/// A counter shared by the workers of a phase.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    /// The value before this call's increment: 0, 1, 2, ... across all callers.
    func take() -> Int { count.add(1, ordering: .relaxed).oldValue }
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The run phase's latencies so far, for the live line: workers hand in batches.
final class LiveLatency: Sendable {
    private let histogram = Mutex(LatencySummary.makeHistogram())

    func record(_ batch: [UInt64]) {
        guard !batch.isEmpty else { return }
        histogram.withLock { histogram in
            for micros in batch { _ = histogram.record(micros) }
        }
    }

    var p99Micros: UInt64 {
        histogram.withLock { $0.totalCount > 0 ? $0.valueAtPercentile(99) : 0 }
    }
}
