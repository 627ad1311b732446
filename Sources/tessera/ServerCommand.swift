import ArgumentParser
import Dispatch
import Logging
import TesseraCore
import TesseraNode
import TesseraStorage

#if canImport(Glibc)
import Glibc
#endif

/// `tessera server`: run one node. See docs/operations.md.
struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run one Tessera node.",
        discussion: """
            Every node of a cluster gets the same --members list (same order). Example, node n1 of three:
              tessera server --node-id n1 --listen 127.0.0.1:7001 --data /var/lib/tessera/n1 \\
                --members n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003 --replication 3
            The data directory remembers its node id and cluster; starting another node on it is refused.
            SIGTERM or SIGINT: stop accepting, finish in-flight requests, flush, exit 0.
            """
    )

    @Option(name: .customLong("node-id"), help: "This node's id (1-64 of [A-Za-z0-9._-]); must be in --members.")
    var nodeID: String

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen: String

    @Option(help: "Data directory (holds node.sqlite and data/).")
    var data: String

    @Option(help: "All members, ID=HOST:PORT,ID=HOST:PORT,... in the same order on every node.")
    var members: String

    @Option(help: "Replicas per key (N).")
    var replication: Int = 3

    @Option(help: "Virtual nodes (tokens) per member.")
    var vnodes: Int = 16

    @Option(
        name: .customLong("cluster-name"),
        help: "Cluster name; a node refuses a data directory of another cluster."
    )
    var clusterName: String = "tessera"

    @Option(help: "WAL sync policy: always, group[:MICROS], periodic[:MILLIS] or never.")
    var sync: String = "group"

    @Option(
        name: .customLong("wal-recovery"),
        help: ArgumentHelp(
            "What a start does with a damaged write-ahead log record: strict, point-in-time or skip-corrupted.",
            discussion: "strict (default) refuses to start, naming the file and offset; point-in-time starts with "
                + "everything before the damage; skip-corrupted with every intact record. Drops are logged. "
                + "See docs/storage.md."
        )
    )
    var walRecovery: String = "strict"

    @Option(name: .customLong("timeout-ms"), help: "Default request timeout when a request asks for 0.")
    var timeoutMillis: UInt32 = 2000

    @Option(
        name: .customLong("phi-threshold"),
        help: "Phi-accrual suspicion at which a peer counts as down (higher: slower to suspect, fewer false alarms)."
    )
    var phiThreshold: Double = 8

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(
        name: .customLong("read-replicas"),
        help: "How a coordinated read picks its first R replicas: load-aware (by outstanding requests and recent latency) or fixed (this node first, then ring order)."
    )
    var readReplicas: String = "load-aware"

    @Flag(
        name: .customLong("exit-with-parent"),
        help: "Shut down cleanly when the process that started this node exits (used by demo, bench and tests)."
    )
    var exitWithParent = false

    @OptionGroup(title: "Hinted handoff and repair")
    var healing: HealingServerOptions

    /// Checks every flag before anything starts, so errors come with this command's usage.
    func validate() throws {
        _ = try makeConfiguration()
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ValidationError("unknown log level '\(logLevel)': use trace, debug, info, notice, warning, error or critical")
        }
    }

    /// The node configuration the flags describe; `ValidationError` saying what is wrong otherwise.
    func makeConfiguration() throws -> NodeConfiguration {
        let loadAware: Bool
        switch readReplicas {
        case "load-aware": loadAware = true
        case "fixed": loadAware = false
        default: throw ValidationError("unknown --read-replicas '\(readReplicas)': use load-aware or fixed")
        }
        do throws(TesseraError) {
            let (host, port) = try MemberAddress.parseHostPort(listen)
            var config = NodeConfiguration(
                nodeID: NodeID(nodeID),
                listenHost: host,
                listenPort: port,
                dataDirectory: data,
                members: try MemberAddress.parseList(members),
                replicationFactor: replication,
                virtualNodes: vnodes,
                clusterName: clusterName,
                syncPolicy: try NodeConfiguration.parseSyncPolicy(sync)
            )
            config.defaultTimeoutMillis = timeoutMillis
            guard let mode = WALRecoveryMode(rawValue: walRecovery.lowercased()) else {
                throw TesseraError(
                    .invalidRequest,
                    "unknown --wal-recovery '\(walRecovery)': use strict, point-in-time or skip-corrupted"
                )
            }
            config.storageOptions.walRecoveryMode = mode
            config.phiThreshold = phiThreshold
            try healing.apply(to: &config)
            config.loadAwareReads = loadAware
            try config.validate()
            return config
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let configuration = try makeConfiguration()

        let node: TesseraNodeServer
        do {
            node = try await TesseraNodeServer.start(configuration: configuration, hintSink: DurableHintStore())
        } catch let error as TesseraError {
            FileHandleStderr.write("tessera server: \(error.message)\n")
            throw ExitCode(2)
        }

        // SIGTERM / SIGINT: graceful shutdown. The handlers run on a Dispatch queue, not in a signal context.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                node.log.info("received signal \(sig)")
                Task { try? await node.shutdown() }
            }
            source.resume()
            sources.append(source)
        }
        // --exit-with-parent: a launcher killed with SIGKILL cannot stop its nodes, so each node watches for
        // being re-parented (getppid changes) and shuts down the same way as on SIGTERM.
        var parentWatch: (any DispatchSourceTimer)?
        if exitWithParent {
            let parent = getppid()
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(500))
            timer.setEventHandler {
                guard getppid() != parent else { return }
                node.log.notice("parent process \(parent) exited; shutting down (--exit-with-parent)")
                timer.cancel()
                Task { try? await node.shutdown() }
            }
            timer.resume()
            parentWatch = timer
        }
        await node.waitUntilStopped()
        for source in sources { source.cancel() }
        parentWatch?.cancel()
    }
}

/// Writes to standard error without Foundation.
enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
