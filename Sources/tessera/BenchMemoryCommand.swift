import ArgumentParser
import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraCore

/// `tessera bench memory`: a node's RSS before, at peak and after the large-GET and non-reading-client loads.
struct BenchMemory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Measure a node's memory (RSS) under large GETs and under a client that never reads.",
        discussion: """
            Starts a local cluster of --nodes `tessera server` processes (temporary directory, removed at the \
            end), writes one --value-size value at ALL, then on node n1:
              large GETs:         --bursts bursts of --gets pipelined GETs of that value; every reply is read.
              non-reading client: one connection pipelines --stalled-gets GETs of it and never reads, for \
                                  --seconds, while another writes at QUORUM through n1 and watches its peers.
            Prints n1's VmRSS before, at the peak and --settle seconds after each workload. Results: \
            docs/benchmarks.md, "Node memory".
            """
    )

    @Option(help: "Nodes of the local cluster (replication min(3, N)).") var nodes = 3
    @Option(help: ArgumentHelp("Bytes of the large value.", valueName: "bytes")) var valueSize = 1 << 20
    @Option(help: "Bursts of GETs.") var bursts = 6
    @Option(help: "GETs per burst.") var gets = 200
    @Option(help: ArgumentHelp("Timeout each GET asks for.", valueName: "ms")) var getTimeout: UInt32 = 30_000
    @Option(help: "GETs the non-reading client sends.") var stalledGets = 20_000
    @Option(help: "Connections of the non-reading client (each sends --stalled-gets GETs).") var stalledConnections = 1
    @Option(help: "Seconds the non-reading client runs.") var seconds = 10.0
    @Option(help: "Seconds to wait before each 'after' sample.") var settle = 2.0
    @Option(help: ArgumentHelp("Workloads, comma-separated: gets, stalled.", valueName: "list"))
    var workloads = "gets,stalled"
    @Option(help: "Extra argument for each server (repeatable), e.g. --server-arg=--write-stall-timeout-ms=5000.")
    var serverArg: [String] = []
    @Option(help: "Environment for the servers, NAME=VALUE (repeatable), e.g. --server-env MALLOC_ARENA_MAX=2.")
    var serverEnv: [String] = []

    func run() async throws {
        for entry in serverEnv {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--server-env wants NAME=VALUE, got '\(entry)'") }
            setenv(parts[0], parts[1], 1)  // inherited by the node processes
        }
        let directory: String
        let launcher: ClusterLauncher
        do {
            directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-bench-memory")
            launcher = try ClusterLauncher(
                executable: try DemoExecutable.path(),
                nodeCount: nodes,
                dataDirectory: directory,
                replicationFactor: min(3, nodes),
                extraServerArguments: serverArg
            )
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        let cleanup = DemoCleanup(launcher: launcher, removeDirectory: directory)
        defer { cleanup.run() }
        do {
            try launcher.startAll()
            try await launcher.waitUntilReady(timeout: .seconds(60))
            guard let pid = launcher.pid(of: "n1") else { throw ValidationError("node n1 is not running") }
            var configuration = MemoryBenchmark.Configuration()
            configuration.valueSize = valueSize
            configuration.bursts = bursts
            configuration.getsPerBurst = gets
            configuration.getTimeoutMillis = getTimeout
            configuration.nonReadingGets = stalledGets
            configuration.nonReadingConnections = stalledConnections
            configuration.nonReadingSeconds = seconds
            configuration.settleSeconds = settle
            let address = launcher.nodes[0].address
            let benchmark = MemoryBenchmark(configuration: configuration, host: address.host, port: address.port, pid: pid)
            try await benchmark.load()
            var samples: [MemoryBenchmark.Sample] = []
            let list = workloads.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for workload in list {
                switch workload {
                case "gets": samples.append(try await benchmark.largeGets { Console.error($0) })
                case "stalled": samples.append(try await benchmark.nonReadingClient { Console.error($0) })
                default: throw ValidationError("unknown workload '\(workload)': use gets, stalled")
                }
            }
            print("node n1 (pid \(pid)), value \(valueSize) bytes, \(nodes) nodes")
            print(MemoryBenchmark.format(samples))
        } catch let error as ValidationError {
            throw error
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
    }
}
