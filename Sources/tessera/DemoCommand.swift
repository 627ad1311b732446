import ArgumentParser
import Foundation
import TesseraLocalCluster
import TesseraClient
import TesseraCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `tessera demo`: a local cluster of real node processes and a shell to use it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a local cluster (3 nodes by default) and open a shell to use it.",
        discussion: """
            Starts --nodes `tessera server` processes on 127.0.0.1 (ports 7001, 7002, ... when free, otherwise \
            free ports the system picks), waits until each answers PING, and reads shell commands: put, get, \
            delete, status, ring, kill NODE, start NODE, help, quit. Type help in the shell for details.

            Commands come from standard input, so the demo can be scripted:
              printf 'put a 1\\nget a\\nkill n2\\nget a QUORUM\\n' | tessera demo
            At quit, end of input (Ctrl-D), Ctrl-C or an error, every node is stopped (SIGTERM, then SIGKILL \
            after 5 s). A temporary data directory is deleted at exit unless --keep-data is given; a --data \
            directory is kept. Node logs are DATA/nNODE.log.
            """
    )

    @Option(help: "How many nodes to start (1 to 32).") var nodes = 3
    @Option(
        help: ArgumentHelp(
            "Directory for the nodes' data and logs (default: a fresh temporary directory).",
            valueName: "dir"
        )
    )
    var data: String?
    @Option(
        help: ArgumentHelp(
            "Node i listens on base-port + i - 1 (default: 7001 if free, else free ports).",
            valueName: "port"
        )
    )
    var basePort: Int?
    @Option(help: "Replicas per key, N (default: min(3, nodes)).") var replication: Int?
    @Option(help: "Virtual nodes (tokens) per node (default: the server's).") var vnodes: Int?
    @Flag(help: "Keep a temporary data directory at exit.") var keepData = false
    @Flag(
        help: "TLS for clients and peers, peer mutual TLS and a client token, with throwaway certificates made in DATA/tls (openssl; docs/security.md)."
    )
    var tls = false

    func validate() throws {
        guard (1...32).contains(nodes) else { throw ValidationError("--nodes is \(nodes); use 1 to 32") }
        if let replication, !(1...nodes).contains(replication) {
            throw ValidationError("--replication is \(replication); use 1 to --nodes (\(nodes))")
        }
    }

    func run() async throws {
        let executable = try DemoExecutable.path()
        let temporary = data == nil
        let dataDirectory: String
        do {
            dataDirectory = try data ?? ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-demo")
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        let removeData = temporary && !keepData
        var port = basePort
        if port == nil, (7001..<(7001 + nodes)).allSatisfy(ClusterLauncher.isPortFree) { port = 7001 }
        let launcher: ClusterLauncher
        do {
            let certificates = tls
                ? try LocalCertificates.generate(in: dataDirectory + "/tls", nodes: (1...nodes).map { "n\($0)" })
                : nil
            launcher = try ClusterLauncher(
                executable: executable,
                nodeCount: nodes,
                basePort: port,
                dataDirectory: dataDirectory,
                replicationFactor: replication ?? min(3, nodes),
                virtualNodes: vnodes,
                certificates: certificates
            )
        } catch {
            if removeData { try? FileManager.default.removeItem(atPath: dataDirectory) }
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        let cleanup = DemoCleanup(launcher: launcher, removeDirectory: removeData ? dataDirectory : nil)
        let signals = DemoSignals(cleanup: cleanup)

        do {
            try launcher.startAll()
            try await launcher.waitUntilReady(timeout: .seconds(60))
        } catch {
            cleanup.run()
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        printBanner(launcher, removeData: removeData)

        let client: TesseraClient
        do {
            var options = TesseraClient.Options(defaultConsistency: .quorum, defaultTimeout: .seconds(2))
            options.downNodeBackoff = .milliseconds(500)
            try launcher.certificates?.apply(to: &options)
            client = try TesseraClient(seeds: launcher.addresses, options: options)
        } catch {
            cleanup.run()
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        let shell = DemoShell(launcher: launcher, client: client)
        await shell.run(input: DemoLineReader(prompt: isatty(0) == 1 ? "tessera> " : nil))
        await client.shutdown()
        signals.cancel()
        Console.print("stopping \(launcher.nodes.count) node" + (launcher.nodes.count == 1 ? "" : "s"))
        cleanup.run()
    }

    private func printBanner(_ launcher: ClusterLauncher, removeData: Bool) {
        var lines = [
            "Tessera demo: \(launcher.nodes.count) nodes, replication factor \(launcher.replicationFactor)",
            "data: \(launcher.dataDirectory)" + (removeData ? " (deleted at exit; --keep-data keeps it)" : ""),
        ]
        for node in launcher.nodes {
            let pid = launcher.pid(of: node.id.name).map { "pid \($0)" } ?? "not running"
            lines.append("  \(node.id.name)  \(node.address)  \(pid)  log \(node.logPath)")
        }
        let hosts = launcher.addresses.map(\.description).joined(separator: ",")
        var clientFlags = ""
        if let certificates = launcher.certificates {
            lines.append("TLS on (CA \(certificates.caFile)), peer mutual TLS, client token in \(certificates.tokenFile)")
            clientFlags = " " + certificates.clientArguments.joined(separator: " ")
        }
        lines.append("other terminals: \(launcher.executable) get KEY --hosts \(hosts)\(clientFlags)")
        lines.append("type help for commands; quit or Ctrl-D stops the cluster")
        Console.print(lines.joined(separator: "\n"))
    }
}

/// Finds the running `tessera` executable, so the demo starts nodes from the same build.
enum DemoExecutable {
    static func path() throws -> String {
        #if os(Linux)
            var buffer = [CChar](repeating: 0, count: 4096)
            let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            if length > 0 {
                return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        #endif
        if let path = Bundle.main.executablePath { return path }
        let argument0 = CommandLine.arguments[0]
        if argument0.contains("/") {
            return argument0.hasPrefix("/") ? argument0 : FileManager.default.currentDirectoryPath + "/" + argument0
        }
        Console.error("error: cannot find the path of this executable (\(argument0))")
        throw ExitCode.failure
    }
}
