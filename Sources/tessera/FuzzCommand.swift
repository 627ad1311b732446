import ArgumentParser
import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore

/// `tessera fuzz`: mutated wire frames against a real node (docs/wire-protocol.md, "Fuzzing").
struct FuzzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Send mutated wire-protocol frames to a node and check it stays up and keeps its data.",
        discussion: """
            Writes 50 sentinel keys at ALL, then sends --frames frames generated and mutated from --seed \
            (SplitMix64: the same seed sends the same frames), then checks that the node answers PING and that \
            every sentinel reads back unchanged at ALL. Prints what the node answered (replies by opcode, ERROR \
            codes), how often it closed the connection, frames per second, and (for a local cluster, or with --pid) \
            the node's RSS and open file descriptors before and after. --connections connections fuzz at once, each \
            reused until the node closes it (a frame it rejects), with up to --batch frames pipelined. Without \
            --host it starts a local cluster of --nodes `tessera server` processes (temporary directory, removed \
            afterwards) and fuzzes n1. A progress line goes to stderr every 5 s.
            Exit status: 0 if the node stayed up and kept every sentinel, 1 otherwise.
            """
    )

    @Option(help: ArgumentHelp("Node to fuzz, HOST:PORT (default: a local cluster).", valueName: "host:port"))
    var host: String?
    @Option(help: "Frames to send.") var frames = 1_000_000
    @Option(help: "Seed of the frame generator.") var seed: UInt64 = 1
    @Option(help: "Connections fuzzing at once (each with its own generator seeded from --seed).") var connections = 4
    @Option(help: "Frames pipelined per batch on a connection.") var batch = 32
    @Option(help: "Process id of the --host node, to report its RSS and open file descriptors.") var pid: Int32?
    @Option(help: "Nodes of the local cluster.") var nodes = 3
    @Option(help: "Extra argument for each local server (repeatable).") var serverArg: [String] = []

    func run() async throws {
        var cleanup: DemoCleanup?
        defer { cleanup?.run() }
        guard frames > 0, connections > 0, batch > 0 else {
            Console.error("error: --frames, --connections and --batch must be at least 1")
            throw ExitCode.validationFailure
        }
        let target: HostAddress
        var nodePID = pid
        do {
            if let host {
                guard let parsed = try HostAddress.parseList(host).first else { throw ValidationError("--host is empty") }
                target = parsed
            } else {
                let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-fuzz")
                let launcher = try ClusterLauncher(
                    executable: try DemoExecutable.path(),
                    nodeCount: nodes,
                    dataDirectory: directory,
                    replicationFactor: min(3, nodes),
                    extraServerArguments: serverArg
                )
                cleanup = DemoCleanup(launcher: launcher, removeDirectory: directory)
                try launcher.startAll()
                try await launcher.waitUntilReady(timeout: .seconds(60))
                target = launcher.nodes[0].address
                nodePID = launcher.serverPID(of: launcher.nodes[0].id.name)
                Console.error("started \(nodes) local nodes: \(launcher.memberList)")
            }
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        var fuzzer = WireFuzzer(host: target.host, port: target.port, seed: seed, frames: frames)
        fuzzer.workers = connections
        fuzzer.batchSize = batch
        fuzzer.pid = nodePID
        let report: WireFuzzer.Report
        do {
            report = try await fuzzer.run { Console.error($0) }
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        print("fuzz \(target), seed \(seed)")
        print(report)
        if !report.passed { throw ExitCode.failure }
    }
}
