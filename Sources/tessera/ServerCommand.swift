import ArgumentParser
import Dispatch
import Logging
import ServiceLifecycle
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
            Every flag is also a key of the TOML file given with --config (docs/tessera.example.toml); a flag
            overrides the file's key. TLS, mutual TLS for peers and client tokens: docs/security.md. An unknown key or a bad value stops the server naming the key and file.
            The data directory remembers its node id and cluster; starting another node on it is refused.
            SIGTERM or SIGINT: stop accepting, finish in-flight requests, flush, exit 0.
            """
    )

    @Option(help: "A TOML config file with one key per flag (docs/tessera.example.toml); flags override it.")
    var config: String?

    @Option(name: .customLong("node-id"), help: "This node's id (1-64 of [A-Za-z0-9._-]); must be in --members. Required (here or in the file).")
    var nodeID: String?

    @Option(help: "Address to listen on, HOST:PORT. Required.")
    var listen: String?

    @Option(help: "Data directory (holds node.sqlite and data/). Required.")
    var data: String?

    @Option(help: "All members, ID=HOST:PORT,ID=HOST:PORT,... in the same order on every node. Required.")
    var members: String?

    @Option(help: "Replicas per key (N). Default 3.")
    var replication: Int?

    @Option(help: "Virtual nodes (tokens) per member. Default 16.")
    var vnodes: Int?

    @Option(
        name: .customLong("cluster-name"),
        help: "Cluster name; a node refuses a data directory of another cluster. Default tessera."
    )
    var clusterName: String?

    @Option(help: "WAL sync policy: always, group[:MICROS], periodic[:MILLIS] or never. Default group.")
    var sync: String?

    @Option(name: .customLong("timeout-ms"), help: "Default request timeout when a request asks for 0. Default 2000.")
    var timeoutMillis: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. Default info.")
    var logLevel: String?

    @Flag(
        name: .customLong("exit-with-parent"),
        help: "Shut down cleanly when the process that started this node exits (used by demo, bench and tests)."
    )
    var exitWithParent = false

    @Option(
        name: .customLong("admin-listen"),
        help: "HOST:PORT of the admin HTTP server (/metrics, /health/live, /health/ready). Default: none."
    )
    var adminListen: String?

    @Flag(inversion: .prefixedNo, help: "Keep Prometheus metrics (default on; --no-metrics turns them off).")
    var metrics: Bool?

    @Option(
        name: .customLong("shutdown-grace-ms"),
        help: "How long SIGTERM/SIGINT waits for in-flight requests before closing. Default 5000."
    )
    var shutdownGraceMillis: Int?

    @Option(name: .customLong("max-in-flight"), help: "Client requests in flight on the node; past it: overloaded at once (0: no bound). Default 4096.")
    var maxInFlight: Int?

    @Option(name: .customLong("max-in-flight-per-connection"), help: "Client requests in flight per connection (0: no bound). Default 1024.")
    var maxInFlightPerConnection: Int?

    @Option(name: .customLong("max-replica-in-flight"), help: "Replica requests from other coordinators in flight (0: no bound). Default 8192.")
    var maxReplicaInFlight: Int?

    @Option(name: .customLong("client-rate"), help: "Per-connection rate limit, requests per second (token bucket; 0: off). Default 0.")
    var clientRate: Int?

    @Option(name: .customLong("client-burst"), help: "Token bucket size for --client-rate (default: one second's worth).")
    var clientBurst: Int?

    @Option(
        name: .customLong("wal-recovery"),
        help: ArgumentHelp(
            "What a start does with a damaged write-ahead log record: strict, point-in-time or skip-corrupted.",
            discussion: "strict (default) refuses to start, naming the file and offset; point-in-time starts with "
                + "everything before the damage; skip-corrupted with every intact record. Drops are logged. "
                + "See docs/storage.md."
        )
    )
    var walRecovery: String?

    @Option(
        name: .customLong("phi-threshold"),
        help: "Phi-accrual suspicion at which a peer counts as down (higher: slower to suspect, fewer false alarms). Default 8."
    )
    var phiThreshold: Double?

    @Option(
        name: .customLong("read-replicas"),
        help: "How a coordinated read picks its first R replicas: load-aware (by outstanding requests and recent latency; default) or fixed (this node first, then ring order)."
    )
    var readReplicas: String?

    @OptionGroup(title: "Hinted handoff and repair")
    var healing: HealingServerOptions

    @Option(
        name: .customLong("cluster-secret-file"),
        help: "File whose contents (at least 16 bytes; one trailing newline dropped) peers prove in the handshake."
    )
    var clusterSecretFile: String?

    @Option(
        name: .customLong("cluster-secret"),
        help: "The cluster secret itself (visible in the process list: prefer --cluster-secret-file)."
    )
    var clusterSecret: String?

    @Option(
        name: .customLong("max-clock-offset-ms"),
        help: "Refuse replica versions more than this far ahead of the node's clock. Default 500."
    )
    var maxClockOffsetMillis: Int?

    @Option(name: .customLong("idle-timeout-ms"), help: "Close client connections idle this long (0: never). Default 300000.")
    var idleTimeoutMillis: Int?

    @Option(
        name: .customLong("partial-frame-timeout-ms"),
        help: "Close a connection whose frame is incomplete this long after its first byte (0: never). Default 15000."
    )
    var partialFrameTimeoutMillis: Int?

    @Option(
        name: .customLong("write-stall-timeout-ms"),
        help: "Close a connection that takes none of its pending replies for this long (0: never). Default 30000."
    )
    var writeStallTimeoutMillis: Int?

    @Option(
        name: .customLong("connection-buffer-mib"),
        help: "Per connection: MiB of requests being served plus unsent replies before its reads stop. Default 32."
    )
    var connectionBufferMiB: Int?

    @Option(
        name: .customLong("node-buffer-mib"),
        help: "Per node: the same over all client connections before every client's reads stop (peers exempt). Default 256."
    )
    var nodeBufferMiB: Int?

    @Option(
        name: .customLong("max-requests-per-connection"),
        help: "Requests served at once per connection; further frames wait in the socket. Default 32."
    )
    var maxRequestsPerConnection: Int?

    @OptionGroup(title: "Security (docs/security.md)")
    var security: SecurityServerOptions

    /// Checks every flag and the config file before anything starts, so errors come with this command's usage.
    func validate() throws {
        _ = try resolve()
    }

    /// The flags, over the config file when there is one.
    var flagSettings: ServerSettings {
        var settings = ServerSettings()
        settings.nodeID = nodeID
        settings.listen = listen
        settings.data = data
        settings.members = members
        settings.replication = replication
        settings.vnodes = vnodes
        settings.clusterName = clusterName
        settings.sync = sync
        settings.timeoutMillis = timeoutMillis
        settings.logLevel = logLevel
        settings.exitWithParent = exitWithParent ? true : nil
        settings.adminListen = adminListen
        settings.metrics = metrics
        settings.shutdownGraceMillis = shutdownGraceMillis
        settings.maxInFlight = maxInFlight
        settings.maxInFlightPerConnection = maxInFlightPerConnection
        settings.maxReplicaInFlight = maxReplicaInFlight
        settings.clientRate = clientRate
        settings.clientBurst = clientBurst
        settings.walRecovery = walRecovery
        settings.phiThreshold = phiThreshold
        settings.readReplicas = readReplicas
        healing.fill(&settings)
        settings.clusterSecretFile = clusterSecretFile
        settings.clusterSecret = clusterSecret
        settings.maxClockOffsetMillis = maxClockOffsetMillis
        settings.idleTimeoutMillis = idleTimeoutMillis
        settings.partialFrameTimeoutMillis = partialFrameTimeoutMillis
        settings.writeStallTimeoutMillis = writeStallTimeoutMillis
        settings.connectionBufferMiB = connectionBufferMiB
        settings.nodeBufferMiB = nodeBufferMiB
        settings.maxRequestsPerConnection = maxRequestsPerConnection
        security.fill(&settings)
        return settings
    }

    /// Flags over the file, defaults applied and checked; `ValidationError` saying what is wrong otherwise.
    func resolve() throws -> ServerSettings.Resolved {
        do {
            var settings = flagSettings
            if let config { settings = settings.overriding(try ConfigFile.load(path: config)) }
            return try settings.resolve()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// `mallopt(M_MMAP_THRESHOLD, bytes)`, looked up at run time (malloc.h is not in the Glibc module).
    static func fixMmapThreshold(_ bytes: Int32) {
        #if os(Linux)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in malloc.h
            _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, bytes)
        #endif
    }

    func run() async throws {
        // A fixed mmap threshold: blocks of 256 KiB and more (large values, reply buffers) are mmapped and
        // returned to the kernel on free (docs/benchmarks.md, "Node memory").
        Self.fixMmapThreshold(256 << 10)
        let settings = try resolve()
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let configuration = settings.node
        let exitWithParent = settings.exitWithParent

        let node: TesseraNodeServer
        do {
            node = try await TesseraNodeServer.start(configuration: configuration, hintSink: DurableHintStore())
        } catch let error as TesseraError {
            FileHandleStderr.write("tessera server: \(error.message)\n")
            throw ExitCode(2)
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
        // SIGTERM / SIGINT: the service group's graceful shutdown (NodeService); it returns once the node stopped.
        let services = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: NodeService(node: node), successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: node.log
            )
        )
        do {
            try await services.run()
        } catch {
            node.log.error("service group failed", metadata: ["error": "\(error)"])
            try? await node.shutdown()
        }
        await node.waitUntilStopped()
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
