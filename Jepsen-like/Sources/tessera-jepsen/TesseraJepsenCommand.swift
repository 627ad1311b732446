import ArgumentParser
import Foundation
import TesseraJepsen

#if canImport(Glibc)
    import Glibc
#endif

/// `tessera-jepsen`: the Jepsen-like fault-injection harness. See docs/fault-injection.md.
@main
struct TesseraJepsenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera-jepsen",
        abstract: "Run real tessera nodes under faults, record a history, check it for linearizability.",
        discussion: """
            Exit codes: 0 the run kept its mode's promises, 1 it did not (or the matrix found a cell that \
            contradicts its mode), 2 bad input or a run that could not be carried out (the message names why).
            As root, the harness re-executes itself in fresh network and PID namespaces (unshare), where \
            partitions are iptables drops and every process it started dies with it.
            """,
        subcommands: [RunCommand.self, MatrixCommand.self, SimCommand.self]
    )
}

/// Flags shared by `run` and `matrix`.
struct ClusterFlags: ParsableArguments {
    @Option(help: "The tessera executable the nodes run (default: the one next to tessera-jepsen).")
    var tessera: String?

    @Option(help: "Nodes; node i listens on 127.0.0.(10+i).")
    var nodes: Int = 5

    @Option(help: "Replicas per key (N).")
    var replication: Int = 3

    @Option(help: "Every node's port (default: one free on all node addresses).")
    var port: Int?

    @Option(name: .customLong("concurrency"), help: "Client workers, one operation outstanding each.")
    var concurrency: Int = 10

    @Option(help: "Target operations per second over all workers.")
    var rate: Double = 200

    @Option(help: "Register keys.")
    var keys: Int = 16

    @Option(help: "Workloads: register, set (comma-separated) or all.")
    var workload: String = "all"

    @Option(name: .customLong("op-timeout-ms"), help: "The client's deadline per operation, in ms.")
    var operationTimeoutMillis: Int = 1000

    @Option(name: .customLong("max-skew"), help: "Largest clock offset the skew nemesis sets, in seconds.")
    var maxSkew: Int = 180

    @Option(help: "Partition shapes: isolate-one, majority-minority, random-halves, bridge (comma-separated).")
    var shapes: String = "all"

    @Flag(name: .customLong("no-namespace"), help: "Stay in the host's namespaces even as root (no partitions).")
    var noNamespace = false

    @Flag(name: .customLong("no-progress"), help: "Do not print the progress line.")
    var noProgress = false

    func tesseraPath() throws -> String {
        if let tessera { return tessera }
        let exe = NetworkNamespace.selfExecutable()
        let candidate = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("tessera").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw HarnessFailure("cannot find the tessera executable next to \(exe); build it (swift build) or pass --tessera")
        }
        return candidate
    }

    func configuration(out: String, mode: String, nemesis: String, timeLimit: Double, seed: UInt64) throws
        -> RunConfiguration
    {
        var c = RunConfiguration(tesseraExecutable: try tesseraPath(), outputDirectory: out)
        c.nodes = nodes
        c.replication = replication
        c.port = port
        c.concurrency = concurrency
        c.rate = rate
        c.keys = keys
        c.seed = seed
        c.maxSkewSeconds = maxSkew
        c.showProgress = !noProgress
        c.operationTimeout = .milliseconds(operationTimeoutMillis)
        c.timeLimit = .milliseconds(Int64(timeLimit * 1000))
        do throws(HarnessError) {
            c.mode = try ConsistencyMode(parsing: mode)
            c.nemeses = try NemesisKind.parseList(nemesis)
            c.workloads = try WorkloadKind.parseList(workload)
            if shapes != "all" {
                c.partitionShapes = try shapes.split(separator: ",").map { name throws(HarnessError) in
                    guard let shape = PartitionShape(rawValue: String(name)) else {
                        throw .badInput(
                            "unknown partition shape '\(name)': use "
                                + PartitionShape.allCases.map(\.rawValue).joined(separator: ", ")
                        )
                    }
                    return shape
                }
            }
            try c.validate()
        } catch {
            throw HarnessFailure(error.description)
        }
        c.commandLine = CommandLine.arguments
        return c
    }

    /// As root and not yet inside: re-executes this command in the harness's namespaces (does not return on
    /// success). Otherwise returns why not, or nil when already inside.
    func enterNamespace() throws -> String? {
        if NetworkNamespace.isInside {
            do { try NetworkNamespace.prepare() } catch { throw HarnessFailure(error.description) }
            return nil
        }
        if noNamespace { return "--no-namespace" }
        return NetworkNamespace.enter(arguments: Array(CommandLine.arguments.dropFirst()))
    }
}

/// A clear message and exit status 2.
struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Stops every started node on SIGINT/SIGTERM (the harness may be process 1 of its PID namespace, which
/// ignores signals it has no handler for), then exits 130.
enum SignalHandling {
    // Written once, by install() on the main task before any handler can run; only kept alive afterwards.
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []

    static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                FileHandleStderr.write("\ntessera-jepsen: signal \(sig): stopping every node\n")
                RunningClusters.stopAll(grace: .seconds(2))
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Writes to standard error.
enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}

/// Runs the async body, turning harness errors into a message and exit status 2.
func runHarness(_ body: () async throws -> Int32) async throws {
    do {
        let status = try await body()
        if status != 0 { throw ExitCode(status) }
    } catch let error as HarnessFailure {
        FileHandleStderr.write("tessera-jepsen: \(error.description)\n")
        throw ExitCode(2)
    } catch let error as HarnessError {
        FileHandleStderr.write("tessera-jepsen: \(error.description)\n")
        throw ExitCode(2)
    }
}
