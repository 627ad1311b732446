import Foundation
import TesseraCore
import TesseraStorage

#if canImport(Glibc)
import Glibc
#endif

/// What `tessera bench storage` runs: the phases, the sizes and where the database lives.
public struct StorageBenchmarkConfiguration: Sendable {
    /// Keys (and operations) per main phase (the peer's N).
    public var num = 1_000_000
    /// Phases to run (always in workload order).
    public var phases: [StorageWorkload.Phase] = StorageWorkload.Phase.allCases
    /// The database directory; removed before each fill and at the end.
    public var directory = "/tmp/tessera-bench-storage"
    /// Synced writes in fillsync (capped at `num`, whose permutation supplies the keys).
    public var syncNum = 10_000
    /// Writes in fillrandom4k.
    public var bigNum = 100_000
    public var valueSize = 100
    public var bigValueSize = 4096
    /// Engine settings for every phase; the runner sets `syncPolicy` (.never, .always for fillsync).
    public var engineOptions = StorageOptions()

    public init() {}
}

/// Progress of the running phase, reported every few thousand operations.
public struct StorageBenchmarkProgress: Sendable {
    public var phase: StorageWorkload.Phase
    public var done: Int
    public var total: Int
    public var seconds: Double
}

/// A check of the workload failed (for example a read returned a value of the wrong size).
public struct StorageBenchmarkError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs the storage workload against a `StorageEngine` in this process, phase by phase, measuring wall time,
/// CPU time (getrusage), written bytes (/proc/self/io wchar) and the directory size, like bench.cc does.
///
/// Durability as the peers: the WAL is on but not synced per write (`SyncPolicy.never`), except fillsync
/// (`SyncPolicy.always`, one fdatasync per write). readseq streams the whole database through
/// `StorageEngine.forEach` (a merging iterator; no materialised result).
public struct StorageBenchmarkRunner {
    public let configuration: StorageBenchmarkConfiguration
    private var values = StorageValueGenerator()
    private var versionCounter: UInt64 = 0

    public init(configuration: StorageBenchmarkConfiguration) {
        self.configuration = configuration
    }

    /// Runs the configured phases; `onPhase` gets each result as soon as its phase ends.
    public mutating func run(
        progress: (StorageBenchmarkProgress) -> Void = { _ in },
        onPhase: (StoragePhaseResult) -> Void = { _ in }
    ) throws -> [StoragePhaseResult] {
        let c = configuration
        let has = Set(c.phases)
        var results: [StoragePhaseResult] = []
        func record(_ r: StoragePhaseResult) {
            results.append(r)
            onPhase(r)
        }
        let num = c.num
        let perm = StorageWorkload.permutation(num, seed: 42)

        if has.contains(.fillseq) {
            let engine = try freshEngine(sync: .never)
            record(try fill(engine, .fillseq, count: num, order: nil, valueSize: c.valueSize, progress: progress))
            try engine.close()
        }
        var main: StorageEngine?
        if has.contains(.fillrandom) {
            let engine = try freshEngine(sync: .never)
            main = engine
            record(try fill(engine, .fillrandom, count: num, order: perm, valueSize: c.valueSize, progress: progress))
        }
        func mainEngine() throws -> StorageEngine {
            if let main { return main }
            var options = c.engineOptions
            options.syncPolicy = .never
            let engine = try StorageEngine.open(directory: c.directory, options: options)
            main = engine
            return engine
        }
        if has.contains(.readrandom) {
            record(try read(try mainEngine(), .readrandom, seed: 7, offset: 0, progress: progress))
        }
        if has.contains(.readmissing) {
            record(try read(try mainEngine(), .readmissing, seed: 8, offset: 1, progress: progress))
        }
        if has.contains(.readseq) {
            record(try scan(try mainEngine(), progress: progress))
        }
        if has.contains(.overwrite) {
            record(try overwrite(try mainEngine(), progress: progress))
        }
        if let main { try main.close() }

        if has.contains(.fillsync) {
            let engine = try freshEngine(sync: .always)
            let n = min(c.syncNum, num)
            record(try fill(engine, .fillsync, count: n, order: perm, valueSize: c.valueSize, progress: progress))
            try engine.close()
        }
        if has.contains(.fillrandom4k) {
            let engine = try freshEngine(sync: .never)
            let order = StorageWorkload.permutation(c.bigNum, seed: 43)
            record(try fill(engine, .fillrandom4k, count: c.bigNum, order: order, valueSize: c.bigValueSize, progress: progress))
            try engine.close()
        }
        removeDirectory(c.directory)
        return results
    }

    // MARK: phases

    private func freshEngine(sync: SyncPolicy) throws -> StorageEngine {
        removeDirectory(configuration.directory)
        var options = configuration.engineOptions
        options.syncPolicy = sync
        return try StorageEngine.open(directory: configuration.directory, options: options)
    }

    private mutating func nextVersion() -> Version {
        versionCounter += 1
        return Version(timestamp: HLCTimestamp(rawValue: versionCounter), node: 1)
    }

    private mutating func fill(
        _ engine: StorageEngine, _ phase: StorageWorkload.Phase, count: Int, order: [UInt64]?, valueSize: Int,
        progress: (StorageBenchmarkProgress) -> Void
    ) throws -> StoragePhaseResult {
        let meter = PhaseMeter()
        for i in 0..<count {
            let id = order.map { $0[i] } ?? UInt64(i)
            try engine.put(StorageWorkload.key(2 * id), values.next(valueSize), version: nextVersion())
            if i & 0x3FFF == 0x3FFF { progress(StorageBenchmarkProgress(phase: phase, done: i + 1, total: count, seconds: meter.seconds)) }
        }
        return meter.finish(
            phase, ops: count, found: count, logicalBytes: count * (16 + valueSize), directory: configuration.directory)
    }

    private func read(
        _ engine: StorageEngine, _ phase: StorageWorkload.Phase, seed: UInt64, offset: UInt64,
        progress: (StorageBenchmarkProgress) -> Void
    ) throws -> StoragePhaseResult {
        let num = configuration.num
        var r = SplitMix64(seed: seed)
        var found = 0
        let meter = PhaseMeter()
        for i in 0..<num {
            let k = StorageWorkload.key(2 * r.uniform(UInt64(num)) + offset)
            if let cell = try engine.get(k), let value = cell.value {
                guard value.count == configuration.valueSize else {
                    throw StorageBenchmarkError(description: "\(phase): value of \(value.count) bytes, expected \(configuration.valueSize)")
                }
                found += 1
            }
            if i & 0x3FFF == 0x3FFF { progress(StorageBenchmarkProgress(phase: phase, done: i + 1, total: num, seconds: meter.seconds)) }
        }
        let valueBytes = offset == 0 ? configuration.valueSize : 0
        return meter.finish(phase, ops: num, found: found, logicalBytes: num * (16 + valueBytes), directory: configuration.directory)
    }

    private func scan(_ engine: StorageEngine, progress: (StorageBenchmarkProgress) -> Void) throws -> StoragePhaseResult {
        let meter = PhaseMeter()
        var n = 0
        var bytes = 0
        let total = configuration.num
        try engine.forEach(from: [], to: nil) { key, cell in
            n += 1
            bytes += key.count + (cell.value?.count ?? 0)
            if n & 0x3FFF == 0 { progress(StorageBenchmarkProgress(phase: .readseq, done: n, total: total, seconds: meter.seconds)) }
            return true
        }
        return meter.finish(.readseq, ops: n, found: n, logicalBytes: bytes, directory: configuration.directory)
    }

    private mutating func overwrite(_ engine: StorageEngine, progress: (StorageBenchmarkProgress) -> Void) throws -> StoragePhaseResult {
        let num = configuration.num
        var r = SplitMix64(seed: 9)
        let meter = PhaseMeter()
        for i in 0..<num {
            let k = StorageWorkload.key(2 * r.uniform(UInt64(num)))
            try engine.put(k, values.next(configuration.valueSize), version: nextVersion())
            if i & 0x3FFF == 0x3FFF { progress(StorageBenchmarkProgress(phase: .overwrite, done: i + 1, total: num, seconds: meter.seconds)) }
        }
        return meter.finish(
            .overwrite, ops: num, found: num, logicalBytes: num * (16 + configuration.valueSize),
            directory: configuration.directory)
    }
}

// MARK: measurement

/// Wall clock, CPU time and wchar at the start of a phase.
struct PhaseMeter {
    let start = ContinuousClock.now
    let cpu0 = PhaseMeter.cpuSeconds()
    let wchar0 = PhaseMeter.wchar()

    var seconds: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func finish(_ phase: StorageWorkload.Phase, ops: Int, found: Int, logicalBytes: Int, directory: String) -> StoragePhaseResult {
        let secs = seconds
        return StoragePhaseResult(
            phase: phase.rawValue, ops: ops, seconds: secs, cpuSeconds: Self.cpuSeconds() - cpu0, found: found,
            dbBytes: directoryBytes(directory), writtenBytes: max(0, Self.wchar() - wchar0), logicalBytes: logicalBytes,
            writes: phase.writes, load1: loadAverage())
    }

    /// User + system CPU seconds of the process (all threads).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Bytes passed to write()/pwrite() by the process so far (0 where /proc is missing).
    static func wchar() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}

/// The 1-minute load average (0 where /proc is missing).
func loadAverage() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
        let first = text.split(separator: " ").first
    else { return 0 }
    return Double(first) ?? 0
}

/// Apparent size of all regular files under `path`.
func directoryBytes(_ path: String) -> Int {
    let fm = FileManager.default
    guard let walker = fm.enumerator(atPath: path) else { return 0 }
    var total = 0
    while let name = walker.nextObject() as? String {
        if let attrs = try? fm.attributesOfItem(atPath: path + "/" + name),
            (attrs[.type] as? FileAttributeType) == .typeRegular,
            let size = attrs[.size] as? NSNumber
        {
            total += size.intValue
        }
    }
    return total
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
