import ArgumentParser
import TesseraBench
import TesseraLocalCluster
import TesseraClient

/// The `--local N` cluster of the bench commands: N `tessera server` processes on free loopback ports in a
/// temporary directory, stopped and removed by the returned cleanup.
enum BenchLocalCluster {
    /// The bench commands' `--local`, `--replication` and `--server-arg`.
    struct Options: ParsableArguments {
        @Option(help: ArgumentHelp("Start an N-node local cluster for the run and stop it afterwards.", valueName: "N"))
        var local: Int?
        @Option(help: "Replication factor of the --local cluster (default: min(3, N)).") var replication: Int?
        @Option(help: "Extra argument for each --local server (repeatable), e.g. --server-arg=--sync=group.")
        var serverArg: [String] = []
    }

    /// Runs `body` with the addresses to contact: `seeds`, or those of a fresh `--local` cluster (when
    /// `options.local` is set) that is stopped afterwards, also on SIGINT/SIGTERM.
    static func with(
        options: Options, seeds: [HostAddress], quiet: Bool, _ body: ([HostAddress]) async throws -> Void
    ) async throws {
        guard let local = options.local else { return try await body(seeds) }
        let cleanup = try await start(
            nodes: local, replication: options.replication, serverArguments: options.serverArg, quiet: quiet)
        let signals = DemoSignals(cleanup: cleanup)
        defer {
            signals.cancel()
            cleanup.run()
        }
        try await body(cleanup.launcher.addresses)
    }

    /// Starts the cluster and waits until every node answers; prints a line on stderr unless `quiet`.
    /// Errors print `error: ...` and exit 1.
    static func start(
        nodes: Int, replication: Int?, serverArguments: [String], quiet: Bool
    ) async throws -> DemoCleanup {
        do {
            let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-bench")
            let launcher = try ClusterLauncher(
                executable: try DemoExecutable.path(),
                nodeCount: nodes,
                dataDirectory: directory,
                replicationFactor: replication ?? min(3, nodes),
                extraServerArguments: serverArguments
            )
            let cleanup = DemoCleanup(launcher: launcher, removeDirectory: directory)
            do {
                try launcher.startAll()
                try await launcher.waitUntilReady(timeout: .seconds(60))
            } catch {
                cleanup.run()
                throw error
            }
            if !quiet { Console.error("started \(nodes) local nodes: \(launcher.memberList)") }
            return cleanup
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
    }
}
