import ArgumentParser
import Foundation
import TesseraBench
import TesseraClient
import TesseraCore

/// `tessera bench overload`: an overloaded node keeps its p99 for admitted requests and recovers (issue 11).
struct BenchOverload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overload",
        abstract: "Load-test admission control: normal load, overload at several times capacity, normal again.",
        discussion: """
            Starts a local cluster of --nodes `tessera server` processes whose client in-flight bound is \
            --max-in-flight (temporary directory, removed at the end), or uses the node at --host. Against \
            node n1 (or --host) it first measures the capacity: a closed loop keeping --max-in-flight requests \
            outstanding for --probe-seconds. Then three open-loop phases of --phase-seconds each, requests sent \
            at a fixed rate whatever the answers (GET and PUT half and half at --consistency, raw frames on \
            --connections connections, no client backoff):
              normal    --normal-fraction of the capacity
              overload  --overload-factor times the capacity
              recovery  --normal-fraction of the capacity again, --settle-seconds after the overload
            Per phase it prints the offered and admitted ops/s, the requests answered `overloaded` (refused at \
            once by admission control), other failures, and p50/p99 of admitted requests, measured from each \
            request's scheduled send time. The verdict: whether the recovery phase's p99 is within --tolerance \
            times the normal phase's. A progress line goes to stderr every second; --json prints the report as \
            JSON. Results: docs/benchmarks.md, "Admission control under overload".
            Exit status: 0 when the run completed (whatever the verdict), 1 on an error.
            """
    )

    @Option(help: ArgumentHelp("Node to test, HOST:PORT (default: a local cluster).", valueName: "host:port"))
    var host: String?
    @Option(help: "Nodes of the local cluster (replication min(3, N)).") var nodes = 3
    @Option(help: "The local nodes' client in-flight bound (--max-in-flight of `tessera server`); with --host, the node's bound.")
    var maxInFlight = 16
    @Option(help: "Connections the load goes on.") var connections = 8
    @Option(help: "Seconds of the closed-loop capacity probe.") var probeSeconds = 2.0
    @Option(help: "Seconds of each phase.") var phaseSeconds = 5.0
    @Option(help: "Seconds between the overload and the recovery phase.") var settleSeconds = 1.0
    @Option(help: "Normal and recovery rate, as a fraction of the capacity.") var normalFraction = 0.5
    @Option(help: "Overload rate, in multiples of the capacity.") var overloadFactor = 4.0
    @Option(help: "Recovered when the recovery p99 is at most this many times the normal p99.") var tolerance = 2.0
    @Option(help: "Consistency level of the requests.") var consistency = "QUORUM"
    @Option(help: ArgumentHelp("Bytes of each PUT's value.", valueName: "bytes")) var valueSize = 100
    @Option(help: "Seed of the key and operation choice.") var seed: UInt64 = 1
    @Flag(help: "Print the report as JSON instead of the table.") var json = false
    @Option(help: "Extra argument for each local server (repeatable).") var serverArg: [String] = []

    func validate() throws {
        guard maxInFlight > 0, connections > 0, nodes > 0 else {
            throw ValidationError("--max-in-flight, --connections and --nodes must be at least 1")
        }
        guard probeSeconds > 0, phaseSeconds > 0, normalFraction > 0, overloadFactor > 0, tolerance > 0 else {
            throw ValidationError("--probe-seconds, --phase-seconds, --normal-fraction, --overload-factor and --tolerance must be above 0")
        }
    }

    func run() async throws {
        var configuration = OverloadBenchmark.Configuration()
        do {
            configuration.consistency = try ConsistencyLevel(parsing: consistency)
        } catch {
            throw ValidationError("--consistency: \(error.message)")
        }
        configuration.connections = connections
        configuration.probeInFlight = maxInFlight
        configuration.probeSeconds = probeSeconds
        configuration.phaseSeconds = phaseSeconds
        configuration.settleSeconds = max(0, settleSeconds)
        configuration.normalFraction = normalFraction
        configuration.overloadFactor = overloadFactor
        configuration.recoveryTolerance = tolerance
        configuration.valueSize = valueSize
        configuration.seed = seed
        var cleanup: DemoCleanup?
        var signals: DemoSignals?
        defer {
            signals?.cancel()
            cleanup?.run()
        }
        let target: HostAddress
        if let host {
            do {
                guard let parsed = try HostAddress.parseList(host).first else { throw ValidationError("--host is empty") }
                target = parsed
            } catch let error as TesseraError {
                throw ValidationError("--host: \(error.message)")
            }
        } else {
            let started = try await BenchLocalCluster.start(
                nodes: nodes, replication: nil,
                serverArguments: ["--max-in-flight", "\(maxInFlight)"] + serverArg, quiet: json)
            cleanup = started
            signals = DemoSignals(cleanup: started)
            target = started.launcher.nodes[0].address
        }
        let benchmark = OverloadBenchmark(configuration: configuration, host: target.host, port: target.port)
        do {
            let report = try await benchmark.run { Console.error($0) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Console.print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                Console.print(report.text)
            }
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
    }
}
