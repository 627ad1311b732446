import Histogram
import Synchronization
public import TesseraClient
public import TesseraCore

/// `tessera bench cluster`: a put phase, then a get phase, over the client library against a running cluster.
///
/// Concurrency is the number of requests in flight: `concurrency` tasks each issue one request at a time and
/// the client pipelines them over its few connections per node. No thread per request.
/// Operation `i` of a phase uses key `bench-<i mod keys>`, so the get phase reads keys the put phase wrote
/// (when `operations >= keys`, every key). Latency is measured per call, in microseconds, into an HdrHistogram
/// per task; the histograms are merged at the end of a phase.
public struct ClusterBenchmark: Sendable {
    /// What to run.
    public struct Configuration: Sendable, Codable {
        /// Operations per phase.
        public var operations: Int
        /// Requests in flight.
        public var concurrency: Int
        /// The level of every put and get, as text (`QUORUM`, `ONE`, `2`...).
        public var consistency: String
        /// Bytes per value.
        public var valueSize: Int
        /// Distinct keys.
        public var keys: Int
        /// Per-call timeout in milliseconds.
        public var timeoutMillis: Int
        /// Phases to run, in order: `put`, `get`.
        public var phases: [String]

        public init(
            operations: Int = 100_000,
            concurrency: Int = 64,
            consistency: String = "QUORUM",
            valueSize: Int = 100,
            keys: Int = 100_000,
            timeoutMillis: Int = 5000,
            phases: [String] = ["put", "get"]
        ) {
            self.operations = operations
            self.concurrency = concurrency
            self.consistency = consistency
            self.valueSize = valueSize
            self.keys = keys
            self.timeoutMillis = timeoutMillis
            self.phases = phases
        }

        /// Throws `invalidRequest` naming the bad setting and its range.
        public func validate() throws(TesseraError) {
            guard operations >= 1 else { throw TesseraError(.invalidRequest, "--ops is \(operations); use 1 or more") }
            guard (1...10_000).contains(concurrency) else {
                throw TesseraError(.invalidRequest, "--concurrency is \(concurrency); use 1 to 10000")
            }
            guard keys >= 1 else { throw TesseraError(.invalidRequest, "--keys is \(keys); use 1 or more") }
            try Limits.checkValue(valueSize)
            guard valueSize >= 0 else { throw TesseraError(.invalidRequest, "--value-size is negative") }
            guard timeoutMillis >= 1 else {
                throw TesseraError(.invalidRequest, "--timeout is \(timeoutMillis) ms; use 1 or more")
            }
            _ = try ConsistencyLevel(parsing: consistency)
            for phase in phases where phase != "put" && phase != "get" {
                throw TesseraError(.invalidRequest, "unknown phase '\(phase)': use put, get")
            }
        }
    }

    /// One phase's numbers.
    public struct PhaseResult: Sendable, Codable {
        public var phase: String
        /// Calls that succeeded.
        public var operations: Int
        /// Calls that threw.
        public var errors: Int
        /// Gets that found no value (expected 0 after a complete put phase).
        public var notFound: Int
        public var seconds: Double
        /// Successful operations per second of wall time.
        public var opsPerSecond: Double
        public var p50Micros: UInt64
        public var p99Micros: UInt64
        public var p999Micros: UInt64
        public var maxMicros: UInt64
        public var meanMicros: Double
        /// Errors by code (`timeout`: 3, ...).
        public var errorsByCode: [String: Int]
        /// The first few error messages, for diagnosis.
        public var errorSamples: [String]
    }

    /// Everything a run produced, as printed with `--json`.
    public struct Report: Sendable, Codable {
        public var configuration: Configuration
        public var hosts: [String]
        public var phases: [PhaseResult]
    }

    public let configuration: Configuration

    public init(configuration: Configuration) throws(TesseraError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Runs every phase against `client` and returns the numbers. Errors are counted, not thrown.
    public func run(client: TesseraClient) async throws(TesseraError) -> Report {
        let level = try ConsistencyLevel(parsing: configuration.consistency)
        var phases: [PhaseResult] = []
        for phase in configuration.phases {
            phases.append(await run(phase: phase, client: client, level: level))
        }
        return Report(configuration: configuration, hosts: client.seeds.map(\.description), phases: phases)
    }

    /// What one worker task collected.
    private struct WorkerResult: Sendable {
        var histogram = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
        var operations = 0
        var notFound = 0
        var errorsByCode: [String: Int] = [:]
        var errorSamples: [String] = []
    }

    private func run(phase: String, client: TesseraClient, level: ConsistencyLevel) async -> PhaseResult {
        let operations = configuration.operations
        let keyCount = configuration.keys
        // Gets read only keys the put phase wrote, if it wrote fewer than `keys`.
        let readableKeys = Swift.min(keyCount, operations)
        let value = (0..<configuration.valueSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let timeout = Duration.milliseconds(configuration.timeoutMillis)
        let next = OperationCounter()
        let isPut = phase == "put"
        let start = ContinuousClock.now
        let results = await withTaskGroup(of: WorkerResult.self) { group in
            let executors = client.taskExecutors
            for worker in 0..<configuration.concurrency {
                let executor: (any TaskExecutor)? = executors.isEmpty ? nil : executors[worker % executors.count]
                group.addTask(executorPreference: executor) {
                    var result = WorkerResult()
                    while true {
                        let i = next.take()
                        guard i < operations else { break }
                        let key = Self.key(isPut ? i % keyCount : i % readableKeys)
                        let began = ContinuousClock.now
                        do throws(TesseraError) {
                            if isPut {
                                try await client.put(key, value, consistency: level, timeout: timeout)
                            } else if try await client.get(key, consistency: level, timeout: timeout) == nil {
                                result.notFound += 1
                            }
                            result.operations += 1
                            _ = result.histogram.record(Self.micros(ContinuousClock.now - began))
                        } catch {
                            result.errorsByCode["\(error.code)", default: 0] += 1
                            if result.errorSamples.count < 3 { result.errorSamples.append(error.description) }
                        }
                    }
                    return result
                }
            }
            var all: [WorkerResult] = []
            for await result in group { all.append(result) }
            return all
        }
        let seconds = Self.seconds(ContinuousClock.now - start)
        var merged = WorkerResult()
        for result in results {
            merged.histogram.add(result.histogram)
            merged.operations += result.operations
            merged.notFound += result.notFound
            for (code, count) in result.errorsByCode { merged.errorsByCode[code, default: 0] += count }
            for sample in result.errorSamples where merged.errorSamples.count < 5 { merged.errorSamples.append(sample) }
        }
        let histogram = merged.histogram
        let hasData = histogram.totalCount > 0
        return PhaseResult(
            phase: phase,
            operations: merged.operations,
            errors: merged.errorsByCode.values.reduce(0, +),
            notFound: merged.notFound,
            seconds: seconds,
            opsPerSecond: seconds > 0 ? Double(merged.operations) / seconds : 0,
            p50Micros: hasData ? histogram.valueAtPercentile(50) : 0,
            p99Micros: hasData ? histogram.valueAtPercentile(99) : 0,
            p999Micros: hasData ? histogram.valueAtPercentile(99.9) : 0,
            maxMicros: hasData ? histogram.max : 0,
            meanMicros: hasData ? histogram.mean : 0,
            errorsByCode: merged.errorsByCode,
            errorSamples: merged.errorSamples
        )
    }

    /// The key of operation index `i`: `bench-00000042` (the low 8 digits of a larger `i`). Written in place:
    /// it runs once per operation of the load generator, and building it from a string and two arrays was 3% of
    /// the generator's CPU.
    static func key(_ i: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 14) { bytes, count in
            bytes[0] = UInt8(ascii: "b")
            bytes[1] = UInt8(ascii: "e")
            bytes[2] = UInt8(ascii: "n")
            bytes[3] = UInt8(ascii: "c")
            bytes[4] = UInt8(ascii: "h")
            bytes[5] = UInt8(ascii: "-")
            var n = i
            for position in stride(from: 13, through: 6, by: -1) {
                bytes[position] = UInt8(0x30 + (n > 0 ? n % 10 : 0))
                n /= 10
            }
            count = 14
        }
    }

    static func micros(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Hands out operation indexes to the worker tasks of a phase.
private final class OperationCounter: Sendable {
    private let next = Atomic<Int>(0)

    /// The next index: 0, 1, 2, ... across all callers.
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
