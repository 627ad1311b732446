import ArgumentParser
import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore

/// `tessera bench cluster`: put then get throughput and latency against a cluster.
struct BenchCluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Measure put and get throughput and latency against a cluster.",
        discussion: """
            Runs a put phase, then a get phase of --ops operations each, with --concurrency requests in flight \
            (pipelined over --connections connections per node, not one thread each). Operation i uses key \
            bench-<i mod --keys>. Prints ops/s and p50/p99/p999 latency (HdrHistogram); --json prints the same \
            as JSON. Errors are counted and reported, never retried.

            --local N starts an N-node cluster of `tessera server` processes on free loopback ports first \
            (in a temporary directory, removed afterwards) and stops it at the end; scripts/bench-cluster uses it. \
            --tls runs that cluster with TLS for clients and peers, peer mutual TLS and a client token \
            (scripts/bench-tls runs both back to back and prints the ratio).
            Numbers depend on the machine and its load: see docs/benchmarks.md, "Cluster".
            """
    )

    @Option(
        help: ArgumentHelp(
            "Nodes to contact, HOST:PORT[,HOST:PORT...] (ignored with --local).",
            valueName: "hosts"
        )
    )
    var hosts = "127.0.0.1:7001"
    @Option(help: "Operations per phase.") var ops = 100_000
    @Option(help: "Requests in flight.") var concurrency = 64
    @Option(
        help: ArgumentHelp(
            "Level of every request: ONE, TWO, THREE, QUORUM, ALL, LINEARIZABLE or a number.",
            valueName: "level"
        )
    )
    var consistency = "QUORUM"
    @Option(help: ArgumentHelp("Bytes per value.", valueName: "bytes")) var valueSize = 100
    @Option(help: "Distinct keys.") var keys = 100_000
    @Option(help: ArgumentHelp("Per-request deadline in milliseconds.", valueName: "ms")) var timeout = 5000
    @Option(help: "Pipelined connections per node.") var connections = 2
    @Option(help: ArgumentHelp("Phases to run, comma-separated: put, get.", valueName: "phases"))
    var phases = "put,get"
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(
        help: """
            Send puts as plain PUT, without a write id (the client's idempotent writes off): the put path of \
            builds from before idempotent writes, for a before/after comparison (scripts/bench-compare).
            """
    )
    var plainWrites = false
    @OptionGroup var localCluster: BenchLocalCluster.Options

    func run() async throws {
        let configuration = ClusterBenchmark.Configuration(
            operations: ops,
            concurrency: concurrency,
            consistency: consistency,
            valueSize: valueSize,
            keys: keys,
            timeoutMillis: timeout,
            phases: phases.split(separator: ",").map { String($0) }
        )
        let benchmark: ClusterBenchmark
        do {
            benchmark = try ClusterBenchmark(configuration: configuration)
        } catch {
            throw ClientExitCode.report(error)
        }
        let seeds: [HostAddress]
        do {
            seeds = try HostAddress.parseList(hosts)
        } catch {
            throw ClientExitCode.report(error)
        }
        try await BenchLocalCluster.with(
            options: localCluster, seeds: seeds, quiet: json
        ) { seeds, certificates in try await run(benchmark, seeds: seeds, certificates: certificates) }
    }

    private func run(_ benchmark: ClusterBenchmark, seeds: [HostAddress], certificates: LocalCertificates?) async throws {
        var options = TesseraClient.Options(defaultTimeout: .milliseconds(timeout), connectionsPerNode: connections)
        options.retryWritesAfterConnectionLoss = false
        if plainWrites { options.idempotentWrites = false }
        try certificates?.apply(to: &options)
        do {
            let client = try TesseraClient(seeds: seeds, options: options)
            // Learn the ring before timing anything.
            _ = try await client.topology()
            let report = try await benchmark.run(client: client)
            await client.shutdown()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let data = try encoder.encode(report)
                Console.print(String(decoding: data, as: UTF8.self))
            } else {
                Console.print(report.text)
            }
        } catch let error as TesseraError {
            throw ClientExitCode.report(error)
        }
    }
}
