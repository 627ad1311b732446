import ArgumentParser
import Foundation
import TesseraBench
import TesseraClient
import TesseraLocalCluster
import TesseraCore

/// `tessera bench ycsb`: YCSB core workloads with a choice of key distributions, per-node load and an SVG.
struct BenchYCSB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ycsb",
        abstract: "Run a YCSB core workload (A-D, F) and show throughput, latency and per-node load.",
        discussion: """
            A load phase inserts --records records (user<fnv(i)>, --value-size bytes each), then a run phase \
            issues the workload's mix for --operations operations or --duration seconds, whichever ends first, \
            with --concurrency operations in flight. Workloads: A 50% read/50% update, B 95/5 read/update, \
            C read only, D 95% read/5% insert (latest), F 50% read/50% read-modify-write. E (scans) is refused: \
            keys are hash-placed on the ring and the cluster has no range scan.

            --distribution picks the records: uniform, zipfian (YCSB's scrambled zipfian, theta 0.99), hotspot \
            (--hot-set of the records get --hot-ops of the operations) or latest; default: the workload's own. \
            --compare uniform,zipfian,hotspot loads once and runs the phase once per distribution on the same \
            cluster, then prints a comparison; --svg and --json-out write the figures (docs/benchmarks.md, \
            "YCSB", explains how to read them).

            The table gives ops/s, latency p50/p95/p99/p999 per operation type (HdrHistogram), errors by kind, \
            and per node the requests it served, from the nodes' own STATUS counters before and after the run, \
            with max/mean and the coefficient of variation of the replica requests.

            --local N starts an N-node local cluster (as bench cluster --local does) and stops it afterwards; \
            hot keys only show up between nodes with N > replication factor (use 6 nodes for N=3).

            Exit status: 0 when the run completed (errors are counted in the report), 2 when no node is \
            reachable, 5 for bad input (unknown workload or distribution, a count below 1, a bad level).
            """
    )

    @Option(help: ArgumentHelp("Nodes to contact, HOST:PORT[,HOST:PORT...] (ignored with --local).", valueName: "hosts"))
    var hosts = "127.0.0.1:7001"
    @Option(help: ArgumentHelp("YCSB core workload: A, B, C, D or F.", valueName: "A-F")) var workload = "A"
    @Option(help: ArgumentHelp("Key distribution: uniform, zipfian, hotspot, latest.", valueName: "name"))
    var distribution: String?
    @Option(help: ArgumentHelp("Run once per distribution, back to back, e.g. uniform,zipfian,hotspot.", valueName: "list"))
    var compare: String?
    @Option(help: "Records inserted by the load phase.") var records = 100_000
    @Option(help: "Operations per run phase.") var operations: Int?
    @Option(help: ArgumentHelp("Stop a run phase after this many seconds.", valueName: "seconds")) var duration: Double?
    @Option(help: "Operations in flight.") var concurrency = 64
    @Option(help: ArgumentHelp("Level of reads and writes: ONE, QUORUM, ALL, a number...", valueName: "level"))
    var consistency = "QUORUM"
    @Option(help: ArgumentHelp("Level of reads (default: --consistency).", valueName: "level")) var readConsistency: String?
    @Option(help: ArgumentHelp("Level of writes (default: --consistency).", valueName: "level")) var writeConsistency: String?
    @Option(help: ArgumentHelp("Bytes per record.", valueName: "bytes")) var valueSize = 1000
    @Option(help: ArgumentHelp("Per-request deadline in milliseconds.", valueName: "ms")) var timeout = 5000
    @Option(help: "Seed of the key choosers.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("hotspot: fraction of the records that are hot.", valueName: "fraction")) var hotSet = 0.2
    @Option(help: ArgumentHelp("hotspot: fraction of operations that go to the hot set.", valueName: "fraction"))
    var hotOps = 0.8
    @Option(help: "Pipelined connections per node.") var connections = 2
    @Flag(help: "Skip the load phase (the records are already there).") var skipLoad = false
    @Flag(help: "Print the report as JSON instead of the table.") var json = false
    @Option(help: ArgumentHelp("Also write the report as JSON to this file.", valueName: "path")) var jsonOut: String?
    @Option(help: ArgumentHelp("Write the comparison as SVG to this file.", valueName: "path")) var svg: String?
    @Option(help: ArgumentHelp("A line about the run's conditions for the report (repeatable).", valueName: "text"))
    var note: [String] = []
    @OptionGroup var localCluster: BenchLocalCluster.Options

    func run() async throws {
        let benchmark: YCSBBenchmark
        let distributions: [KeyDistribution?]
        let seeds: [HostAddress]
        do throws(TesseraError) {
            let configuration = YCSBBenchmark.Configuration(
                workload: workload, recordCount: records,
                operationCount: operations ?? (duration == nil ? 100_000 : nil), durationSeconds: duration,
                concurrency: concurrency, readConsistency: readConsistency ?? consistency,
                writeConsistency: writeConsistency ?? consistency, valueSize: valueSize, timeoutMillis: timeout,
                seed: seed, hotSetFraction: hotSet, hotOperationFraction: hotOps)
            benchmark = try YCSBBenchmark(configuration: configuration)
            distributions = try Self.distributions(compare: compare, single: distribution)
            seeds = try HostAddress.parseList(hosts)
            guard connections >= 1 else { throw TesseraError(.invalidRequest, "--connections is \(connections); use 1 or more") }
            if let local = localCluster.local, local < 1 { throw TesseraError(.invalidRequest, "--local is \(local); use 1 or more") }
        } catch {
            throw ClientExitCode.report(error)
        }

        try await BenchLocalCluster.with(
            options: localCluster, seeds: seeds, quiet: json
        ) { contact, certificates in
            try await run(benchmark, distributions: distributions, contact: contact, certificates: certificates)
        }
    }

    private func run(
        _ benchmark: YCSBBenchmark, distributions: [KeyDistribution?], contact: [HostAddress],
        certificates: LocalCertificates?
    ) async throws {
        var options = TesseraClient.Options(defaultTimeout: .milliseconds(timeout), connectionsPerNode: connections)
        options.retryWritesAfterConnectionLoss = false
        try certificates?.apply(to: &options)
        let progress: @Sendable (String) -> Void = { line in Console.error(line) }
        do {
            let client = try TesseraClient(seeds: contact, options: options)
            let topology: ClusterTopology
            do {
                // Learn the ring before timing anything; fails with `unavailable` when no node answers.
                topology = try await client.topology(timeout: .seconds(5))
            } catch {
                await client.shutdown()
                throw error
            }
            var notes = note
            notes.append("load average at start \(Self.loadAverage())")
            if !localCluster.serverArg.isEmpty { notes.append("server flags " + localCluster.serverArg.joined(separator: " ")) }
            let load = skipLoad ? nil : await benchmark.load(client: client, progress: progress)
            var runs: [YCSBRunResult] = []
            var present = records
            for distribution in distributions {
                let run = await benchmark.run(
                    client: client, distribution: distribution, insertStart: present, progress: progress)
                present += run.operations.first(where: { $0.operation == .insert })?.succeeded ?? 0
                runs.append(run)
            }
            notes.append("load average at end \(Self.loadAverage())")
            await client.shutdown()
            let report = YCSBReport(
                configuration: benchmark.configuration, hosts: contact.map(\.description),
                nodes: topology.members.count, replicationFactor: topology.replicationFactor, notes: notes,
                load: load, runs: runs)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(report)
            if let jsonOut { try data.write(to: URL(fileURLWithPath: jsonOut)) }
            if let svg { try report.svg.write(toFile: svg, atomically: true, encoding: .utf8) }
            Console.print(json ? String(decoding: data, as: UTF8.self) : report.text)
        } catch let error as TesseraError {
            throw ClientExitCode.report(error)
        }
    }

    /// The run phases' distributions: each of `--compare`, or `--distribution` (nil: the workload's own).
    static func distributions(compare: String?, single: String?) throws(TesseraError) -> [KeyDistribution?] {
        if let compare {
            guard single == nil else {
                throw TesseraError(.invalidRequest, "give --compare or --distribution, not both")
            }
            let names = compare.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty else { throw TesseraError(.invalidRequest, "--compare lists no distribution") }
            var result: [KeyDistribution?] = []
            for name in names { result.append(try KeyDistribution(parsing: name)) }
            return result
        }
        return [try single.map { name throws(TesseraError) in try KeyDistribution(parsing: name) }]
    }

    static func loadAverage() -> String {
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) == 3 else { return "unknown" }
        return loads.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }
}
