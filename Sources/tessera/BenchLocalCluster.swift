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
        @Flag(
            help: "Run the --local cluster with TLS for clients and peers, peer mutual TLS and a client token (throwaway certificates made with openssl; docs/security.md)."
        )
        var tls = false
    }

    /// Runs `body` with the addresses to contact and the TLS material to reach them (`--tls`): `seeds`, or
    /// those of a fresh `--local` cluster (when `options.local` is set) that is stopped afterwards, also on
    /// SIGINT/SIGTERM.
    static func with(
        options: Options, seeds: [HostAddress], quiet: Bool,
        _ body: ([HostAddress], LocalCertificates?) async throws -> Void
    ) async throws {
        guard let local = options.local else {
            if options.tls {
                Console.error("error: --tls needs --local (it makes the certificates of the local cluster)")
                throw ExitCode.validationFailure
            }
            return try await body(seeds, nil)
        }
        let cleanup = try await start(
            nodes: local, replication: options.replication, serverArguments: options.serverArg, tls: options.tls,
            quiet: quiet)
        let signals = DemoSignals(cleanup: cleanup)
        defer {
            signals.cancel()
            cleanup.run()
        }
        try await body(cleanup.launcher.addresses, cleanup.launcher.certificates)
    }

    /// Starts the cluster and waits until every node answers; prints a line on stderr unless `quiet`.
    /// Errors print `error: ...` and exit 1.
    static func start(
        nodes: Int, replication: Int?, serverArguments: [String], tls: Bool = false, quiet: Bool
    ) async throws -> DemoCleanup {
        do {
            let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-bench")
            let certificates = tls
                ? try LocalCertificates.generate(in: directory + "/tls", nodes: (1...max(1, nodes)).map { "n\($0)" })
                : nil
            let launcher = try ClusterLauncher(
                executable: try DemoExecutable.path(),
                nodeCount: nodes,
                dataDirectory: directory,
                replicationFactor: replication ?? min(3, nodes),
                extraServerArguments: serverArguments,
                certificates: certificates
            )
            let cleanup = DemoCleanup(launcher: launcher, removeDirectory: directory)
            do {
                try launcher.startAll()
                try await launcher.waitUntilReady(timeout: .seconds(60))
            } catch {
                cleanup.run()
                throw error
            }
            if !quiet {
                Console.error("started \(nodes) local nodes\(tls ? " (TLS, peer mTLS, client token)" : ""): \(launcher.memberList)")
            }
            return cleanup
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
    }
}
