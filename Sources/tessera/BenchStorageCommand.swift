import ArgumentParser
import TesseraBench

#if canImport(Glibc)
import Glibc
#endif

/// `tessera bench storage`: the db_bench-like workload of ../shared/tools/storage-bench run against the
/// Tessera storage engine in this process. Prints numbers; never passes or fails on speed.
struct BenchStorage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Benchmark the storage engine with the db_bench-like workload of the peer harness.",
        discussion: """
            Phases (in this order): fillseq, fillrandom, readrandom, readmissing, readseq, overwrite, fillsync,
            fillrandom4k. Keys are %016llu of 2*i (missing keys 2*i+1), values 100 bytes that compress to about
            half. The WAL is on without a sync per write, except fillsync (a sync per write).
            scripts/bench-storage runs this next to LevelDB and SQLite. See docs/benchmarks.md.
            """
    )

    @Option(help: "Keys per main phase (N).") var num = 1_000_000
    @Option(help: ArgumentHelp("Phases to run, comma-separated (default: all).", valueName: "a,b,c"))
    var phases: String?
    @Option(help: ArgumentHelp("Database directory (removed before each fill and at the end).", valueName: "path"))
    var dir = "/tmp/tessera-bench-storage"
    @Option(help: "Synced writes in fillsync (at most N).") var syncNum = 10_000
    @Option(help: "Writes of 4 KiB values in fillrandom4k.") var bigNum = 100_000
    @Option(help: "Block cache capacity in MiB.") var cacheMib = 8
    @Flag(help: "Print one JSON object per phase instead of the table.") var json = false

    mutating func validate() throws {
        guard num >= 1 else { throw ValidationError("--num must be at least 1") }
        guard syncNum >= 1, bigNum >= 1 else { throw ValidationError("--sync-num and --big-num must be at least 1") }
        guard cacheMib >= 0 else { throw ValidationError("--cache-mib must not be negative") }
        _ = try parsedPhases()
    }

    func parsedPhases() throws -> [StorageWorkload.Phase] {
        guard let phases else { return StorageWorkload.Phase.allCases }
        var set = Set<StorageWorkload.Phase>()
        for name in phases.split(separator: ",").map({ String($0).trimmingCharacters() }) where !name.isEmpty {
            guard let p = StorageWorkload.Phase(name: name) else {
                let known = StorageWorkload.Phase.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("unknown phase '\(name)'; phases are: \(known)")
            }
            set.insert(p)
        }
        guard !set.isEmpty else { throw ValidationError("--phases names no phase") }
        return StorageWorkload.Phase.allCases.filter { set.contains($0) }
    }

    func run() throws {
        var config = StorageBenchmarkConfiguration()
        config.num = num
        config.phases = try parsedPhases()
        config.directory = dir
        config.syncNum = syncNum
        config.bigNum = bigNum
        config.engineOptions.blockCacheBytes = cacheMib << 20
        var runner = StorageBenchmarkRunner(configuration: config)
        let table = StorageResultTable()
        let asJSON = json
        if !asJSON {
            print("tessera bench storage: N=\(num) dir=\(dir) load1=\(formatLoad())")
            print(table.header)
        }
        var lastProgress = -1.0
        let showProgress = isatty(2) != 0  // a progress line only on a terminal, not in logs
        let results = try runner.run(
            progress: { p in
                // At most about four progress updates a second, on stderr.
                guard showProgress, p.seconds - lastProgress >= 0.25 else { return }
                lastProgress = p.seconds
                let rate = p.seconds > 0 ? Double(p.done) / p.seconds : 0
                writeStderr("\r\(p.phase.rawValue): \(p.done)/\(p.total) (\(p.done * 100 / max(1, p.total))%) \(Int(rate)) ops/s   ")
            },
            onPhase: { r in
                if showProgress { writeStderr("\r\u{1B}[K") }
                lastProgress = -1
                print(asJSON ? r.json : table.row(r))
            })
        if !asJSON { print("\(results.count) phases; ops/s and MB/s are wall-clock, cpu_s is user+sys of all threads.") }
    }

    private func formatLoad() -> String {
        var loads = [Double](repeating: 0, count: 3)
        _ = getloadavg(&loads, 3)
        return StorageResultTable.fixed(loads[0], 2)
    }
}

private func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { raw in _ = write(2, raw.baseAddress, raw.count) }
}

private extension String {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
